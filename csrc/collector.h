/* ccov collector: shared declarations.
 *
 * The collector is a process-wide singleton: sys.monitoring instruments code
 * objects, which are shared by every thread, so there is nothing per-thread
 * to keep.  All state is touched with the GIL held.
 */
#ifndef CCOV_COLLECTOR_H
#define CCOV_COLLECTOR_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* ---- per-file executed lines (filelines.c) ------------------------------ */

/* Index of a measured file in the file table, or one of these. */
#define CCOV_FILE_UNMEASURED (-1)

int ccov_files_init(void);
void ccov_files_clear(void);
/* Decide (once per file name) whether a file is measured; returns its index,
 * CCOV_FILE_UNMEASURED, or -2 with an exception set. */
Py_ssize_t ccov_files_lookup(PyObject *filename);
/* Record a line; returns 0, or -1 with an exception set (out of memory). */
int ccov_files_record(Py_ssize_t file_index, long line);
/* {filename: bytes bitmap (bit n set = line n ran)} for every measured file. */
PyObject *ccov_files_export(void);
/* Forget the lines recorded so far (a new context begins); the files stay. */
void ccov_files_forget_lines(void);
/* Record a line arc (to_line < 0: out of the code object); 0, or -1 with an exception. */
int ccov_files_record_arc(Py_ssize_t file_index, long from_line, long to_line);
/* {filename: set of arcs, each (from_line << 32) | (to_line & 0xffffffff)}, and forget them. */
PyObject *ccov_files_take_arcs(void);

/* ---- per-code-object state (codestate.c) -------------------------------- */

typedef struct BranchTable BranchTable; /* branches.c */

typedef struct CodeState {
    struct CodeState *prev, *next; /* the list of armed code objects */
    struct CodeState *ran_prev, *ran_next; /* the list of code that ran in this context */
    PyObject *code;                /* borrowed: the free hook unlinks us first */
    uint64_t session;              /* which start() armed it */
    Py_ssize_t file_index;
    long base_line;                /* first line the bitmap covers */
    long span;                     /* number of lines the bitmap covers */
    long pending;                  /* expected lines not seen yet */
    long expected;                 /* all expected lines, for re-arming */
    BranchTable *branches;         /* branch mode: what each BRANCH direction means */
    int branches_built;            /* the table was asked for (it may have failed) */
    uint8_t bits[];                /* bit set = expected line not seen yet; then
                                      as many bytes again: all expected lines */
} CodeState;

int ccov_codestate_init(void);
/* The state of a code object armed in this session, or NULL. */
CodeState *ccov_codestate_get(PyObject *code);
/* Build and attach the state of a measured code object. NULL + exception on error. */
CodeState *ccov_codestate_create(PyObject *code, Py_ssize_t file_index);
/* Mark a line seen; returns 1 when it was the last expected line. */
int ccov_codestate_see(CodeState *state, long line);
/* One more expected event (a line or an awaited branch direction) was seen;
 * returns 1 when it was the last. */
int ccov_codestate_settle(CodeState *state);
void ccov_codestate_link(CodeState *state);
void ccov_codestate_unlink(CodeState *state);
CodeState *ccov_codestate_first_armed(void);
/* Contexts: remember that a code object ran in the current context... */
void ccov_codestate_ran(CodeState *state);
/* ...and, when the context changes, arm each of those again with all its
 * lines expected; returns 0, or -1 with an exception set.  With by_restart,
 * only code that completed (and so has no events) is armed here: the caller
 * re-arms the rest with sys.monitoring.restart_events(). */
int ccov_codestate_rearm_ran(int by_restart);
void ccov_codestate_forget_ran(void);

/* ---- talking to sys.monitoring (monitoring.c) --------------------------- */

typedef struct {
    int tool_id;
    uint64_t session;
    int active;
    PyObject *decide;            /* Python callable: filename -> bool */
    PyObject *set_local_events;  /* sys.monitoring.set_local_events */
    PyObject *disable;           /* sys.monitoring.DISABLE */
    PyObject *line_event_obj;    /* int: the local events armed code gets */
    PyObject *no_events_obj;     /* int: 0 */
    PyObject *tool_id_obj;       /* int: tool_id */
    int resume_opcode;           /* opcode.opmap["RESUME"] */
    int error_reported;          /* a collector failure was printed once */
    int contexts;                /* lines are recorded per context (switch_context) */
    int branches;                /* branch mode: BRANCH events and arcs */
    PyObject *branch_builder;    /* ccov.bytecode_arcs.branch_table */
} CollectorState;

extern CollectorState ccov_state;

/* Enable LINE events on a code object; 0 ok, 1 cannot be instrumented, -1 error. */
int ccov_arm(CodeState *state);
/* Remove our local events from a code object; 0 ok, -1 error. */
int ccov_disarm(CodeState *state);
/* Report a failure inside the collector once, clear it, keep the program going. */
void ccov_report_failure(const char *where);
/* callable(arg), from inside a callback or the code watcher, safely: with
 * stack room and the cyclic garbage collector paused (see monitoring.c). */
PyObject *ccov_call_python(PyObject *callable, PyObject *arg);
/* What ccov_call_python needs, fetched at start; 0, or -1 with an exception. */
int ccov_call_python_init(void);

/* ---- finding measured code as it is created (watcher.c) ----------------- */

/* 0 when watching, -1 when no code watcher slot is free (use PY_START). */
int ccov_watcher_start(void);
void ccov_watcher_stop(void);

/* ---- statistics (stats.c), printed at stop when CCOV_STATS is set -------- */

typedef struct {
    uint64_t py_start_events;
    uint64_t line_events;
    uint64_t codes_armed;
    uint64_t codes_completed;
    uint64_t codes_uninstrumentable;
    uint64_t files_measured;
    uint64_t files_ignored;
    uint64_t failures;
    uint64_t branch_events;
    uint64_t branch_tables;
} CollectorStats;

extern CollectorStats ccov_stats;
PyObject *ccov_stats_as_dict(void);

/* ---- branch coverage (branches.c) --------------------------------------- */

/* In branch mode, build a code object's branch table (once); -1 with an exception. */
int ccov_branches_attach(CodeState *state);
void ccov_branches_free(BranchTable *table);
/* A new context: every direction is unseen again. */
void ccov_branches_reset(CodeState *state);
/* A line ran: record the arc it implies, if any; 0, or -1 with an exception. */
int ccov_branches_implied(CodeState *state, long line);
PyObject *ccov_on_branch(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *ccov_on_return(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *ccov_on_unwind(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* ---- SIGTERM that is never lost (sigterm.c) ----------------------------- */

PyObject *ccov_guard_sigterm(PyObject *module, PyObject *ignored);
PyObject *ccov_sigterm_started(PyObject *module, PyObject *ignored);
PyObject *ccov_sigterm_after_fork(PyObject *module, PyObject *ignored);

/* ---- callbacks (callbacks.c) -------------------------------------------- */

/* Measure a code object if its file is measured; -1 with an exception set. */
int ccov_track_code(PyObject *code);
/* The same for code that runs now (PY_START, running frames): also reads its
 * branches in branch mode. */
int ccov_track_running_code(PyObject *code);
PyObject *ccov_on_py_start(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *ccov_on_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
