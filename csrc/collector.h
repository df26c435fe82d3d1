/* ccov collector: shared declarations.
 *
 * The collector is a process-wide singleton: sys.monitoring instruments code
 * objects, which are shared by every thread, so there is next to nothing
 * per-thread to keep (only "this thread is deciding", filelines.c).
 *
 * Threads.  Every callback runs with the GIL held, and the state below is
 * touched only then: the GIL is what makes it safe.  The module declares so
 * (Py_MOD_GIL_USED, module.c): a free-threaded build keeps the GIL on while
 * ccov is imported.  To run without it, these would need protecting, since
 * callbacks of different threads then run at once:
 *  - the file table and its decisions cache (filelines.c): a lock around
 *    lookup/add, and the bitmaps and arc sets of each file (a per-file lock,
 *    or atomic OR on the bitmap bytes);
 *  - each code object's state (codestate.c: its expected-line bits, its
 *    pending count, and the armed and ran lists; branches_*.c: the seen
 *    flags and last_line), changed by whichever thread runs that code: a
 *    per-state lock, or atomics, plus a lock for the two lists;
 *  - ccov_state itself, written at start and stop only (a lock there), and
 *    the statistics (atomics, or per-thread counters summed at stop).
 * Nothing here can run a free-threaded build, so no support for one is claimed.
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
/* The first line of the statement `line` belongs to (3.14+ branch mode: the
 * file's statement map, read once through the branch helper). */
long ccov_files_statement(Py_ssize_t file_index, long line);

/* ---- per-code-object state (codestate.c) -------------------------------- */

typedef struct BranchTable BranchTable; /* branches_312.c or branches_314.c */

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
    int32_t *unit_lines;           /* measured by INSTRUCTION events: the line of
                                      each code unit (0: none); NULL: by LINE */
    Py_ssize_t units;              /* entries of unit_lines */
    BranchTable *branches;         /* branch mode: the code object's branches */
    int branches_built;            /* the table was asked for (it may have failed) */
    uint8_t bits[];                /* bit set = expected line not seen yet; then
                                      as many bytes again: all expected lines */
} CodeState;

int ccov_codestate_init(void);
/* The state of a code object armed in this session, or NULL. */
CodeState *ccov_codestate_get(PyObject *code);
/* Build and attach the state of a measured code object (`mid_line`: as for
 * ccov_track_code). NULL + exception on error. */
CodeState *ccov_codestate_create(PyObject *code, Py_ssize_t file_index, int mid_line);
/* Mark a line seen; returns 1 when it was the last expected line. */
int ccov_codestate_see(CodeState *state, long line);
/* One more expected event (a line or an awaited branch direction) was seen;
 * returns 1 when it was the last. */
int ccov_codestate_settle(CodeState *state);
/* Everything expected of a code object was seen: remove its instrumentation
 * (`where` names the callback, should that fail). */
void ccov_codestate_done(CodeState *state, const char *where);
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
/* Contexts are switched on: every code object of the session, armed or
 * completed (those are kept on the list anyway), reports its lines again
 * from the first switch_context(). */
void ccov_codestate_all_ran(void);

/* ---- talking to sys.monitoring (monitoring.c) --------------------------- */

typedef struct {
    int tool_id;
    uint64_t session;
    int active;
    PyObject *decide;            /* Python callable: filename -> bool */
    PyObject *set_local_events;  /* sys.monitoring.set_local_events */
    PyObject *disable;           /* sys.monitoring.DISABLE */
    PyObject *line_event_obj;    /* int: the local events armed code gets */
    PyObject *instruction_event_obj; /* int: the same with INSTRUCTION for LINE (codestate.c) */
    PyObject *no_events_obj;     /* int: 0 */
    PyObject *tool_id_obj;       /* int: tool_id */
    int error_reported;          /* a collector failure was printed once */
    int contexts;                /* lines are recorded per context (switch_context) */
    int branches;                /* branch mode: BRANCH events and arcs */
    int watching;                /* measured code is found by the code watcher, not global PY_START */
    int one_context;             /* the session never switches contexts (start's one_context) */
    PyObject *branch_helper;     /* 3.12/3.13: code -> branch table (_collector.branch_table, in C);
                                    3.14+: filename -> statement map (ccov.model.source) */
} CollectorState;

/* What the collector needs to know of an opcode (opcode_kinds.c gives them
 * for the Python it is compiled for). */
#define CCOV_OP_RESUME 1        /* the prologue's end */
#define CCOV_OP_CACHE 2         /* an inline cache entry */
#define CCOV_OP_EXTENDED_ARG 4
#define CCOV_OP_JUMP 8          /* has a jump target (opcode.hasjrel) */
#define CCOV_OP_ALWAYS 16       /* an unconditional jump */
#define CCOV_OP_BACKWARD 32     /* its target is behind it */
#define CCOV_OP_RETURN 64       /* leaves the code object */
#define CCOV_OP_PY_RETURN 128   /* fires PY_RETURN (RETURN_VALUE) */
#define CCOV_OP_NO_FALL_THROUGH 256 /* never goes on to the next instruction (RERAISE) */
#define CCOV_OP_RAISE 512       /* raises (RAISE_VARARGS) */
#define CCOV_OP_ASYNC_FOR_END 1024 /* an `async for` ends here, by an exception (END_ASYNC_FOR) */
/* What the 3.12/3.13 branch reader (branch_reader_312.c) tells apart besides: */
#define CCOV_OP_CONDITIONAL 2048     /* POP_JUMP_IF_* and FOR_ITER: a branch instruction */
#define CCOV_OP_FOR_ITER 4096
#define CCOV_OP_SEND 8192
#define CCOV_OP_LOAD_CONST 16384
#define CCOV_OP_CALL 32768
#define CCOV_OP_LOOP_EXIT_SKIP 65536 /* END_FOR, POP_TOP: what FOR_ITER's exit jumps past on its line */
#define CCOV_OP_FUNCTION_RETURN 131072 /* RETURN_VALUE, RETURN_CONST */
#define CCOV_OP_FIRES_JUMP 262144 /* fires JUMP events: JUMP_FORWARD, JUMP_BACKWARD */

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

/* ---- code that exists at start (existing.c) ------------------------------ */

/* Arm the measured code of every function and generator that exists now;
 * 0, or -1 with an exception set. */
int ccov_track_existing(void);

/* ---- statistics (stats.c), printed at stop when CCOV_STATS is set -------- */

typedef struct {
    uint64_t py_start_events;
    uint64_t line_events;
    uint64_t instruction_events;
    uint64_t codes_by_instruction;
    uint64_t codes_armed;
    uint64_t codes_completed;
    uint64_t codes_uninstrumentable;
    uint64_t files_measured;
    uint64_t files_ignored;
    uint64_t failures;
    uint64_t branch_events;
    uint64_t jump_events;
    uint64_t branch_tables;
} CollectorStats;

extern CollectorStats ccov_stats;
PyObject *ccov_stats_as_dict(void);

/* ---- reading code objects (codestate.c) ---------------------------------- */

/* Offset of the first instruction after the prologue's RESUME (0: none); -1 on error. */
Py_ssize_t ccov_body_start(PyObject *code);
/* The line of a body written on its `def` or `class` line (`def f(x):
 * return x`), or of a lambda, into *line; 0 there when the body spans more
 * lines.  0, or -1 with an exception. */
int ccov_one_line_body(PyObject *code, long *line);

/* 3.12/3.13: (directions, implied, proofs, steps) of a code object, as
 * tests/branch_reference.py's branch_table gives them (branch_reader_312.c);
 * NULL with an exception on error. */
PyObject *ccov_read_branch_table(PyObject *code);

/* ---- branch coverage: branches_312.c (3.12, 3.13) or branches_314.c (3.14+) */

/* In branch mode, build a code object's branch table (once); -1 with an exception. */
int ccov_branches_attach(CodeState *state);
void ccov_branches_free(BranchTable *table);
/* A new context: every direction is unseen again. */
void ccov_branches_reset(CodeState *state);
/* A line ran: record the arc that tells (3.12/3.13: the arc it implies;
 * 3.14+: the step from the line before); 0, or -1 with an exception. */
int ccov_branches_line(CodeState *state, long line);
/* 3.12/3.13: BRANCH; 3.14+: BRANCH_LEFT and BRANCH_RIGHT. */
PyObject *ccov_on_branch(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
/* PY_RETURN: 3.12/3.13 in branch mode; 3.14+ in both modes. */
PyObject *ccov_on_return(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
/* JUMP: 3.12/3.13 in branch mode. */
PyObject *ccov_on_jump(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
/* PY_UNWIND: 3.12/3.13 in branch mode only. */
PyObject *ccov_on_unwind(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* ---- SIGTERM that is never lost (sigterm.c) ----------------------------- */

PyObject *ccov_guard_sigterm(PyObject *module, PyObject *ignored);
PyObject *ccov_sigterm_started(PyObject *module, PyObject *ignored);
PyObject *ccov_sigterm_after_fork(PyObject *module, PyObject *ignored);

/* ---- the line of each code unit (linetable.c) ------------------------- */

#define CCOV_NO_LINE INT32_MIN /* a unit without a line (co_lines() gives None) */
/* Fill line_of[units] (and end_line_of, the last line of each unit's
 * expression, unless NULL) from the code object's co_linetable; 0, or -1
 * with ValueError for a malformed table. */
int ccov_unit_lines(PyObject *code, Py_ssize_t units, int32_t *line_of, int32_t *end_line_of);

/* ---- compiling the script `ccov run` runs (compile.c) ------------------ */

PyObject *ccov_compile_script(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* ---- what each opcode is (opcode_kinds.c) ------------------------------- */

/* Per opcode of this Python: its CCOV_OP_* flags, filled once as the
 * module is imported (ccov_op_kinds_init). */
extern uint32_t ccov_op_kinds[256];
void ccov_op_kinds_init(void);
/* The unit of the instruction after the one at `unit` in `raw` (co_code),
 * past its inline cache entries: at most `units`. */
Py_ssize_t ccov_next_instruction(const uint8_t *raw, Py_ssize_t units, Py_ssize_t unit);
/* Where a jump (CCOV_OP_JUMP, of these kinds and argument) whose next
 * instruction is at unit `next` goes. */
static inline Py_ssize_t
ccov_jump_target(uint32_t kind, Py_ssize_t next, uint32_t arg)
{
    return kind & CCOV_OP_BACKWARD ? next - (Py_ssize_t)arg : next + (Py_ssize_t)arg;
}
/* opcode_kinds() -> ccov_op_kinds as 256 little-endian uint32, for the test
 * that checks them against the opcode module. */
PyObject *ccov_opcode_kinds(PyObject *module, PyObject *ignored);

/* ---- the lines of multi-line statements (statements.c) ----------------- */

PyObject *ccov_multiline_statements(PyObject *self, PyObject *text);

/* ---- callbacks (callbacks.c) -------------------------------------------- */

/* Measure a code object if its file is measured; -1 with an exception set.
 * `mid_line`: a frame of it is running already and resumes inside a line. */
int ccov_track_code(PyObject *code, int mid_line);
/* The same for code that runs now (PY_START, running frames): also reads its
 * branches in branch mode. */
int ccov_track_running_code(PyObject *code, int mid_line);
PyObject *ccov_on_py_start(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *ccov_on_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *ccov_on_instruction(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
