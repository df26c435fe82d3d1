/* Per-code-object state, hung off the code object with PyUnstable_Code_SetExtra
 * so the LINE callback finds it without a dictionary lookup.
 *
 * The state knows which lines of its code object can still report a LINE
 * event.  When the last one has been seen, the collector removes the code
 * object's local events and it runs uninstrumented: that is what brings the
 * cost of a hot loop back to nothing, because some LINE locations (a jump
 * target on the same line as the jump) never fire and so are never disabled.
 *
 * A few code objects are measured by INSTRUCTION events instead of LINE
 * events (see by_instruction below).
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
            offset = i + 2;
            /* 3.15's RESUME has an inline cache entry: it is prologue too. */
            while (offset + 1 < size && (ccov_op_kinds[units[offset]] & CCOV_OP_CACHE)) {
                offset += 2;
            }
            break;
        }
    }
    Py_DECREF(bytecode);
    return offset;
}

int
ccov_next_line_range(PyObject *iterator, LineRange *range)
{
    PyObject *item;
    while ((item = PyIter_Next(iterator)) != NULL) {
        int ok = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 3;
        PyObject *line = ok ? PyTuple_GET_ITEM(item, 2) : NULL;
        if (ok && line != Py_None) {
            range->start_offset = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
            range->end_offset = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
            range->line = PyLong_AsLong(line);
            Py_DECREF(item);
            return PyErr_Occurred() ? -1 : 1;
        }
        Py_DECREF(item);
    }
    return PyErr_Occurred() ? -1 : 0;
}

int
ccov_one_line_body(PyObject *code, long *line)
{
    *line = 0;
    Py_ssize_t body_start = ccov_body_start(code);
    PyObject *ranges = body_start < 0 ? NULL : PyObject_CallMethod(code, "co_lines", NULL);
    PyObject *iterator = ranges ? PyObject_GetIter(ranges) : NULL;
    Py_XDECREF(ranges);
    if (iterator == NULL) {
        return -1;
    }
    long only = 0;
    int one = 1, got = 0;
    LineRange range;
    while (one && (got = ccov_next_line_range(iterator, &range)) == 1) {
        if (range.line != 0 && range.end_offset > body_start) {
            one = only == 0 || range.line == only;
            only = range.line;
        }
    }
    Py_DECREF(iterator);
    if (one && got < 0) {
        return -1;
    }
    *line = one ? only : 0;
    return 0;
}

/* CPython gives a LINE event its line from the instruction's offset and a
 * delta kept in one byte: line = co_firstlineno + unit / 16 + delta.  Where
 * the delta does not fit (-126 < delta < 127 on every supported Python),
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

/* Whether the lookups would cost more than the extra INSTRUCTION events: a
 * far line costs two scans of about half the line table (about 13
 * instructions a byte), an instruction event about as much as a LINE event
 * (so the excess is about the code's units).  Line mode only: branch mode
 * follows lines one LINE event at a time; and not generators, whose RESUME
 * instructions after each yield carry lines LINE events skip. */
static int
by_instruction(PyObject *code, long far_lines)
{
    const int not_plain = CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR | CO_ITERABLE_COROUTINE;
    PyCodeObject *co = (PyCodeObject *)code;
    return far_lines > 0 && !ccov_state.branches && !(co->co_flags & not_plain)
           && (double)far_lines * (double)PyBytes_GET_SIZE(co->co_linetable) > 64.0 * (double)Py_SIZE(co);
}

/* Walk co_lines() twice through a list: once for the span, once to set bits. */
static CodeState *
build_state(PyObject *code, Py_ssize_t file_index)
{
    Py_ssize_t traceable = ccov_body_start(code);
    if (traceable < 0) {
        return NULL;
    }
    PyObject *lines = PyObject_CallMethod(code, "co_lines", NULL);
    PyObject *ranges = lines ? PySequence_List(lines) : NULL;
    Py_XDECREF(lines);
    if (ranges == NULL) {
        return NULL;
    }
    long low = LONG_MAX, high = 0, far_lines = 0, last_far = 0;
    LineRange range;
    PyObject *iterator = PyObject_GetIter(ranges);
    int got = iterator ? 0 : -1;
    while (iterator && (got = ccov_next_line_range(iterator, &range)) == 1) {
        if (range.line > 0 && range.end_offset > traceable) {
            low = range.line < low ? range.line : low;
            high = range.line > high ? range.line : high;
            if (range.line != last_far && (far_line(code, range.start_offset / 2, range.line)
                                           || far_line(code, range.end_offset / 2 - 1, range.line))) {
                far_lines++;
                last_far = range.line;
            }
        }
    }
    Py_XDECREF(iterator);
    long span = high >= low ? high - low + 1 : 0;
    size_t nbytes = (size_t)(span + 7) / 8;
    CodeState *state = got < 0 ? NULL : PyMem_Calloc(1, sizeof(CodeState) + 2 * nbytes);
    if (state == NULL) {
        if (got == 0) {
            PyErr_NoMemory();
        }
        Py_DECREF(ranges);
        return NULL;
    }
    if (got == 0 && by_instruction(code, far_lines)) {
        state->units = Py_SIZE(code);
        state->unit_lines = PyMem_Calloc((size_t)state->units, sizeof(int32_t));
        if (state->unit_lines == NULL) {
            PyErr_NoMemory();
            PyMem_Free(state);
            Py_DECREF(ranges);
            return NULL;
        }
        ccov_stats.codes_by_instruction++;
    }
    state->code = code;
    state->session = ccov_state.session;
    state->file_index = file_index;
    state->base_line = span ? low : 0;
    state->span = span;
    iterator = PyObject_GetIter(ranges);
    while (iterator && (got = ccov_next_line_range(iterator, &range)) == 1) {
        if (range.line > 0 && range.end_offset > traceable) {
            for (long unit = range.start_offset / 2; state->unit_lines && unit < range.end_offset / 2; unit++) {
                if (unit < state->units && unit * 2 >= traceable) {
                    state->unit_lines[unit] = (int32_t)range.line;
                }
            }
            long bit = range.line - low;
            if (!(state->bits[bit >> 3] & (1u << (bit & 7)))) {
                state->bits[bit >> 3] |= (uint8_t)(1u << (bit & 7));
                state->pending++;
            }
        }
    }
    Py_XDECREF(iterator);
    Py_DECREF(ranges);
    if (iterator == NULL || got < 0) {
        PyMem_Free(state->unit_lines);
        PyMem_Free(state);
        return NULL;
    }
    memcpy(state->bits + nbytes, state->bits, nbytes);
    state->expected = state->pending;
    return state;
}

CodeState *
ccov_codestate_create(PyObject *code, Py_ssize_t file_index)
{
    CodeState *state = build_state(code, file_index);
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
ccov_codestate_forget_ran(void)
{
    while (ran_list.ran_next != &ran_list) {
        unlink_ran(ran_list.ran_next);
    }
}
