/* Per-code-object state, hung off the code object with PyUnstable_Code_SetExtra
 * so the LINE callback finds it without a dictionary lookup.
 *
 * The state knows which lines of its code object can still report a LINE
 * event.  When the last one has been seen, the collector removes the code
 * object's local events and it runs uninstrumented: that is what brings the
 * cost of a hot loop back to nothing, because some LINE locations (a jump
 * target on the same line as the jump) never fire and so are never disabled.
 *
 * Some code objects are measured by INSTRUCTION events instead of LINE
 * events (see by_instruction below): code with far lines, and, in line mode
 * in a measurement that never switches contexts, code with a jump that
 * lands on its own line, which every non-generator function with a `for`
 * loop has.
 *
 * Armed states form a doubly linked list so that stop() can disarm every code
 * object without holding a reference to it; the code object's free hook
 * unlinks the state when the code object dies.
 */
#include "collector.h"

static Py_ssize_t extra_index = -1;
static CodeState armed_list; /* sentinel of the circular armed list */
static CodeState ran_list;   /* sentinel: code that ran in the current context */

static void
unlink_ran(CodeState *state)
{
    if (state->ran_next != NULL) {
        state->ran_prev->ran_next = state->ran_next;
        state->ran_next->ran_prev = state->ran_prev;
        state->ran_prev = state->ran_next = NULL;
    }
}

static void
free_state(void *extra)
{
    CodeState *state = extra;
    if (state != NULL) {
        ccov_codestate_unlink(state);
        unlink_ran(state);
        ccov_branches_free(state->branches);
        PyMem_Free(state->unit_lines);
        PyMem_Free(state);
    }
}

int
ccov_codestate_init(void)
{
    if (extra_index < 0) {
        extra_index = PyUnstable_Eval_RequestCodeExtraIndex(free_state);
        if (extra_index < 0) {
            PyErr_SetString(PyExc_RuntimeError, "ccov: no code-extra slot left");
            return -1;
        }
        armed_list.prev = armed_list.next = &armed_list;
        ran_list.ran_prev = ran_list.ran_next = &ran_list;
    }
    return 0;
}

static CodeState *
raw_state(PyObject *code)
{
    void *extra = NULL;
    if (PyUnstable_Code_GetExtra(code, extra_index, &extra) < 0) {
        PyErr_Clear();
        return NULL;
    }
    return extra;
}

CodeState *
ccov_codestate_get(PyObject *code)
{
    CodeState *state = raw_state(code);
    return (state != NULL && state->session == ccov_state.session) ? state : NULL;
}

void
ccov_codestate_unlink(CodeState *state)
{
    if (state->next != NULL) {
        state->prev->next = state->next;
        state->next->prev = state->prev;
        state->prev = state->next = NULL;
    }
}

CodeState *
ccov_codestate_first_armed(void)
{
    return armed_list.next == &armed_list ? NULL : armed_list.next;
}

/* Offset of the first instruction after the prologue's RESUME: the lines of
 * the prologue (the `def` line of a function, line 0 of a module) never
 * report a LINE event, so they must not count as expected. */
Py_ssize_t
ccov_body_start(PyObject *code)
{
    PyObject *bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (bytecode == NULL) {
        return -1;
    }
    const uint8_t *units = (const uint8_t *)PyBytes_AS_STRING(bytecode);
    Py_ssize_t size = PyBytes_GET_SIZE(bytecode), offset = 0;
    for (Py_ssize_t i = 0; i + 1 < size; i += 2) {
        if (ccov_op_kinds[units[i]] & CCOV_OP_RESUME) {
            /* 3.15's RESUME has an inline cache entry: it is prologue too. */
            offset = 2 * ccov_next_instruction(units, size / 2, i / 2);
            break;
        }
    }
    Py_DECREF(bytecode);
    return offset;
}

int
ccov_one_line_body(PyObject *code, long *line)
{
    *line = 0;
    Py_ssize_t body_start = ccov_body_start(code);
    Py_ssize_t units = Py_SIZE(code);
    int32_t *lines = body_start < 0 ? NULL : PyMem_Malloc((size_t)(units + 1) * sizeof(int32_t));
    if (lines == NULL) {
        return body_start < 0 ? -1 : (PyErr_NoMemory(), -1);
    }
    if (ccov_unit_lines(code, units, lines, NULL) < 0) {
        PyMem_Free(lines);
        return -1;
    }
    long only = 0;
    int one = 1;
    for (Py_ssize_t unit = body_start / 2; one && unit < units; unit++) {
        if (lines[unit] != CCOV_NO_LINE && lines[unit] != 0) {
            one = only == 0 || lines[unit] == only;
            only = lines[unit];
        }
    }
    PyMem_Free(lines);
    *line = one ? only : 0;
    return 0;
}

/* CPython gives a LINE event its line from the instruction's offset and a
 * delta kept in one byte: line = co_firstlineno + unit / 16 + delta.  Where
 * the delta does not fit (about -126 < delta < 127 on every supported
 * Python; taken a line narrower here),
 * it looks the line up from the start of co_linetable, for this line and
 * for the previous instruction's (3.12): a module that defines a long table
 * of literals, one entry a line, pays a scan of its whole line table per
 * line.  On toolz's suite (its _signatures.py) that was 55 M instructions,
 * two fifths of all line mode cost there; any sys.monitoring line tool pays
 * it.  INSTRUCTION events carry the offset instead, and ccov keeps the line
 * of each unit itself: a few more events, each without a lookup. */
static int
far_line(PyObject *code, long unit, long line)
{
    long delta = line - ((PyCodeObject *)code)->co_firstlineno - (unit >> 4);
    return delta >= 126 || delta <= -125;
}

/* Whether a jump lands on its own line (`lines` as build_state has them).
 * CPython calls no LINE callback for an instruction reached from its own
 * line, so the LINE location at such a target never fires, is never
 * disabled, and costs a call into CPython's line instrumentation each time
 * it runs, for as long as its code object has a line left to see: a nested
 * loop's FOR_ITER, a comprehension's, or the end of `x = a and b`.  (Every
 * `for` loop has such a jump, FOR_ITER's exit to the end of the loop on its
 * own line, whether or not a location there keeps costing.)  On
 * pyperformance's chaos (3.12) they were 1.4 of its 3.2 points of overhead. */
static int
jumps_within_a_line(PyObject *code, const int32_t *lines, Py_ssize_t units)
{
    PyObject *bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (bytecode == NULL) {
        return -1;
    }
    const uint8_t *raw = (const uint8_t *)PyBytes_AS_STRING(bytecode);
    int found = 0;
    uint32_t extended = 0;
    for (Py_ssize_t unit = 0; unit < units && !found;) {
        uint32_t kind = ccov_op_kinds[raw[2 * unit]];
        uint32_t arg = raw[2 * unit + 1] | extended;
        extended = (kind & CCOV_OP_EXTENDED_ARG) ? arg << 8 : 0;
        Py_ssize_t next = ccov_next_instruction(raw, units, unit);
        if (kind & CCOV_OP_JUMP) {
            Py_ssize_t target = ccov_jump_target(kind, next, arg);
            found = lines[unit] > 0 && target >= 0 && target < units && lines[target] == lines[unit];
        }
        unit = next;
    }
    Py_DECREF(bytecode);
    return found;
}

/* Whether INSTRUCTION events cost less than LINE events here.  Each
 * INSTRUCTION location is disabled as it first runs, so the code costs
 * nothing once each of its instructions ran, where LINE locations that
 * never fire keep costing (jumps_within_a_line).  And a far line costs two
 * scans of about half the line table (about 13 instructions a byte), an
 * instruction event about as much as a LINE event (so the excess is about
 * the code's units).  The first reason holds in a session that never
 * switches contexts: code armed again for each context would pay one event
 * per instruction, not per line, in each (the Python API, per-test contexts).
 *
 * Never in branch mode, which follows lines one LINE event at a time; nor
 * in the PY_START fallback: beside its global PY_START, INSTRUCTION events
 * stop coming once sys.settrace is turned on (see armed_events in
 * module.c).  Not generators, whose RESUME instructions after each yield
 * carry lines LINE events skip; and (build_state) not code with a frame
 * running at start, whose next instruction, inside the line it is on,
 * would record that line, which LINE events (and coverage.py) do not. */
static int
by_instruction(PyObject *code, const int32_t *lines, long far_lines)
{
    const int not_plain = CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR | CO_ITERABLE_COROUTINE;
    PyCodeObject *co = (PyCodeObject *)code;
    if (ccov_state.branches || !ccov_state.watching || (co->co_flags & not_plain)) {
        return 0;
    }
    if (far_lines > 0
        && (double)far_lines * (double)PyBytes_GET_SIZE(co->co_linetable) > 64.0 * (double)Py_SIZE(co)) {
        return 1;
    }
    return ccov_state.one_context ? jumps_within_a_line(code, lines, Py_SIZE(co)) : 0;
}

/* One pass over each unit's line (linetable.c) for the span, and one to set
 * the bits.  Lines of the prologue (units before `traceable`) never fire. */
static CodeState *
build_state(PyObject *code, Py_ssize_t file_index, int mid_line)
{
    Py_ssize_t traceable = ccov_body_start(code);
    Py_ssize_t units = Py_SIZE(code);
    if (traceable < 0) {
        return NULL;
    }
    int32_t *lines = PyMem_Malloc((size_t)(units + 1) * sizeof(int32_t));
    if (lines == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (ccov_unit_lines(code, units, lines, NULL) < 0) {
        PyMem_Free(lines);
        return NULL;
    }
    long low = LONG_MAX, high = 0, far_lines = 0, last_far = 0;
    for (Py_ssize_t unit = 0; unit < units; unit++) {
        long line = lines[unit];
        if (unit < traceable / 2 || line <= 0) {
            lines[unit] = 0;  /* as unit_lines has it: no line to record */
            continue;
        }
        low = line < low ? line : low;
        high = line > high ? line : high;
        if (line != last_far && far_line(code, unit, line)) {
            far_lines++;
            last_far = line;
        }
    }
    long span = high >= low ? high - low + 1 : 0;
    size_t nbytes = (size_t)(span + 7) / 8;
    CodeState *state = PyMem_Calloc(1, sizeof(CodeState) + 2 * nbytes);
    if (state == NULL) {
        PyErr_NoMemory();
        PyMem_Free(lines);
        return NULL;
    }
    state->code = code;
    state->session = ccov_state.session;
    state->file_index = file_index;
    state->base_line = span ? low : 0;
    state->span = span;
    for (Py_ssize_t unit = 0; unit < units; unit++) {
        if (lines[unit] > 0) {
            long bit = lines[unit] - low;
            if (!(state->bits[bit >> 3] & (1u << (bit & 7)))) {
                state->bits[bit >> 3] |= (uint8_t)(1u << (bit & 7));
                state->pending++;
            }
        }
    }
    memcpy(state->bits + nbytes, state->bits, nbytes);
    state->expected = state->pending;
    int instructions = mid_line ? 0 : by_instruction(code, lines, far_lines);
    if (instructions < 0) {
        PyMem_Free(lines);
        PyMem_Free(state);
        return NULL;
    }
    if (instructions) {
        state->unit_lines = lines;
        state->units = units;
        ccov_stats.codes_by_instruction++;
    }
    else {
        PyMem_Free(lines);
    }
    return state;
}

CodeState *
ccov_codestate_create(PyObject *code, Py_ssize_t file_index, int mid_line)
{
    CodeState *state = build_state(code, file_index, mid_line);
    if (state == NULL) {
        return NULL;
    }
    /* A state from an earlier session in this process (a measurement that
     * resumes after a nested one) is freed by SetExtra itself, through
     * free_state, which unlinks it first: it must not be freed here too. */
    if (PyUnstable_Code_SetExtra(code, extra_index, state) < 0) {
        PyMem_Free(state->unit_lines);
        PyMem_Free(state);
        return NULL;
    }
    return state;
}

void
ccov_codestate_link(CodeState *state)
{
    state->next = armed_list.next;
    state->prev = &armed_list;
    armed_list.next->prev = state;
    armed_list.next = state;
}

int
ccov_codestate_see(CodeState *state, long line)
{
    long bit = line - state->base_line;
    if (bit < 0 || bit >= state->span) {
        return 0;
    }
    uint8_t mask = (uint8_t)(1u << (bit & 7));
    if (!(state->bits[bit >> 3] & mask)) {
        return 0;
    }
    state->bits[bit >> 3] &= (uint8_t)~mask;
    return ccov_codestate_settle(state);
}

int
ccov_codestate_settle(CodeState *state)
{
    return --state->pending == 0;
}

void
ccov_codestate_done(CodeState *state, const char *where)
{
    ccov_stats.codes_completed++;
    /* Contexts may be switched on later (the API's first switch_context):
     * completed code must report its lines again then (ccov_codestate_all_ran). */
    ccov_codestate_ran(state);
    if (ccov_disarm(state) < 0) {
        ccov_report_failure(where);
    }
}

void
ccov_codestate_ran(CodeState *state)
{
    if (state->ran_next == NULL) {
        state->ran_next = ran_list.ran_next;
        state->ran_prev = &ran_list;
        ran_list.ran_next->ran_prev = state;
        ran_list.ran_next = state;
    }
}

/* Setting a code object's local events to nothing and back is a restart of
 * its disabled locations for this tool only; other tools' state is left as
 * it is (restart_events() would re-arm every tool in the process). */
int
ccov_codestate_rearm_ran(int by_restart)
{
    while (ran_list.ran_next != &ran_list) {
        CodeState *state = ran_list.ran_next;
        unlink_ran(state);
        size_t nbytes = (size_t)(state->span + 7) / 8;
        memcpy(state->bits, state->bits + nbytes, nbytes);
        ccov_branches_reset(state);
        state->pending = state->expected;
        if (by_restart && state->next != NULL) {
            continue;  /* still armed: the caller's restart_events() re-arms it */
        }
        if (state->next != NULL && ccov_disarm(state) < 0) {
            return -1;
        }
        if (state->pending > 0 && ccov_arm(state) < 0) {
            return -1;
        }
    }
    return 0;
}

void
ccov_codestate_all_ran(void)
{
    for (CodeState *state = armed_list.next; state != &armed_list; state = state->next) {
        ccov_codestate_ran(state);
    }
}

void
ccov_codestate_forget_ran(void)
{
    while (ran_list.ran_next != &ran_list) {
        unlink_ran(ran_list.ran_next);
    }
}
