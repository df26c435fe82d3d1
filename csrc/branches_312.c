/* Branch coverage on 3.12 and 3.13: the BRANCH callback and the
 * per-code-object branch table.  (3.14+: branches_314.c.)
 *
 * Two ways were measured (bench/branch_study.py, README "Branch coverage"):
 *
 *  - marker statements compiled into the code, whose LINE events encode arcs:
 *    one event per arc, but it needs ccov to compile every measured module
 *    itself (an import hook, beside pytest's assertion rewriting), and code
 *    compiled by anyone else (exec, other loaders) gets no markers;
 *  - the interpreter's BRANCH events, which on 3.12/3.13 carry both
 *    directions of a branch at one location, so DISABLE can only be returned
 *    once both were seen.  Waiting for both costs up to 3.6 million callbacks
 *    per pyperformance run, because hot branches are mostly one-way.
 *
 * ccov uses BRANCH events but waits only for the directions it cannot learn
 * otherwise.  branch_reader_312.c reads the bytecode once per code object (when
 * it first runs) and finds, for every direction, the line it arrives at.  If
 * every way into that line comes from the branch's line, the LINE event of
 * the arrival line already proves the arc (an "implied" arc, recorded by the
 * LINE callback).  A direction that goes through a return or an
 * unconditional jump no other way reaches is proved by that instruction's
 * PY_RETURN or JUMP event, which fires once (a "proof").  Only the directions
 * left, which end at a join or leave the function, are waited for.  The
 * pending count of the code state includes them and the proofs, so a code
 * object whose lines, proofs and awaited directions were all seen still drops
 * all its instrumentation.
 *
 * 3.14's BRANCH_LEFT/BRANCH_RIGHT can be disabled one direction at a time;
 * the table and the recorded arcs stay the same there.
 */
#include "collector.h"

#if PY_VERSION_HEX < 0x030E0000

typedef struct {
    int32_t at;           /* offset of the branch instruction */
    int32_t destination;  /* offset the interpreter reports for this direction */
    int32_t from_line, to_line; /* the arc; to_line 0: no arc of its own */
    uint8_t needed;       /* no LINE event can tell: wait for this BRANCH */
    uint8_t seen;
} BranchWay;

typedef struct {
    int32_t at;                 /* offset of a return or an unconditional jump */
    int32_t from_line, to_line; /* the arc its PY_RETURN or JUMP event proves */
    uint8_t seen;               /* expected until then: the code must stay armed */
} ProvedArc;

struct BranchTable {
    Py_ssize_t nways, nproofs, nsteps;
    long needed;
    long implied_base, implied_span;
    int32_t *implied_from; /* per line in the span: the line that implies it, or 0 */
    ProvedArc *proofs;
    int32_t (*steps)[2];   /* (line, to_line): the step on from a line, to_line 0: the next line run */
    long last_step;        /* a line with to_line 0, just seen (0: none) */
    BranchWay ways[];      /* in order of `at` */
};

void
ccov_branches_free(BranchTable *table)
{
    if (table != NULL) {
        PyMem_Free(table->implied_from);
        PyMem_Free(table->proofs);
        PyMem_Free(table->steps);
        PyMem_Free(table);
    }
}

/* An `count`-tuple of ints that fit in int32 (offsets and line numbers);
 * 0, or -1 with an exception naming `what`. */
static int
int32_fields(PyObject *item, Py_ssize_t count, int32_t *out, const char *what)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != count) {
        PyErr_Format(PyExc_TypeError, "ccov: malformed %s", what);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        long value = PyLong_AsLong(PyTuple_GET_ITEM(item, i));
        if (value == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (value < INT32_MIN || value > INT32_MAX) {
            PyErr_Format(PyExc_OverflowError, "ccov: %s out of range", what);
            return -1;
        }
        out[i] = (int32_t)value;
    }
    return 0;
}

static int
fill_ways(BranchTable *table, PyObject *ways)
{
    for (Py_ssize_t i = 0; i < table->nways; i++) {
        int32_t field[5];
        if (int32_fields(PyTuple_GET_ITEM(ways, i), 5, field, "branch table") < 0) {
            return -1;
        }
        BranchWay *way = &table->ways[i];
        way->at = field[0];
        way->destination = field[1];
        way->from_line = field[2];
        way->to_line = field[3];
        way->needed = field[4] != 0;
        way->seen = 0;
        table->needed += way->needed;
    }
    return 0;
}

static int
fill_implied(BranchTable *table, PyObject *implied)
{
    Py_ssize_t count = PyTuple_GET_SIZE(implied);
    int32_t low = INT32_MAX, high = 0;
    for (Py_ssize_t pass = 0; pass < 2; pass++) {
        for (Py_ssize_t i = 0; i < count; i++) {
            int32_t pair[2]; /* line, the line that implies it */
            if (int32_fields(PyTuple_GET_ITEM(implied, i), 2, pair, "implied arcs") < 0) {
                return -1;
            }
            if (pair[0] <= 0) {
                continue;
            }
            if (pass == 0) {
                low = pair[0] < low ? pair[0] : low;
                high = pair[0] > high ? pair[0] : high;
            }
            else {
                table->implied_from[pair[0] - table->implied_base] = pair[1];
            }
        }
        if (pass == 0) {
            if (high < low) {
                return 0;
            }
            table->implied_base = low;
            table->implied_span = (long)high - low + 1;
            table->implied_from = PyMem_Calloc((size_t)table->implied_span, sizeof(int32_t));
            if (table->implied_from == NULL) {
                PyErr_NoMemory();
                return -1;
            }
        }
    }
    return 0;
}

static int
fill_proofs(BranchTable *table, PyObject *proofs)
{
    table->nproofs = PyTuple_GET_SIZE(proofs);
    if (table->nproofs == 0) {
        return 0;
    }
    table->proofs = PyMem_Calloc((size_t)table->nproofs, sizeof(ProvedArc));
    if (table->proofs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    table->needed += table->nproofs;
    for (Py_ssize_t i = 0; i < table->nproofs; i++) {
        int32_t field[3];
        if (int32_fields(PyTuple_GET_ITEM(proofs, i), 3, field, "proved arcs") < 0) {
            return -1;
        }
        table->proofs[i].at = field[0];
        table->proofs[i].from_line = field[1];
        table->proofs[i].to_line = field[2];
    }
    return 0;
}

static int
fill_steps(BranchTable *table, PyObject *steps)
{
    table->nsteps = PyTuple_GET_SIZE(steps);
    if (table->nsteps == 0) {
        return 0;
    }
    table->steps = PyMem_Calloc((size_t)table->nsteps, sizeof(table->steps[0]));
    if (table->steps == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < table->nsteps; i++) {
        if (int32_fields(PyTuple_GET_ITEM(steps, i), 2, table->steps[i], "steps") < 0) {
            return -1;
        }
    }
    return 0;
}

/* Ask the branch helper (_collector.branch_table: branch_reader_312.c) for the table of a code
 * object; NULL + exception on error. */
static BranchTable *
build_table(PyObject *code)
{
    PyObject *answer = ccov_call_python(ccov_state.branch_helper, code);
    if (answer == NULL) {
        return NULL;
    }
    PyObject *ways = NULL, *implied = NULL, *proofs = NULL, *steps = NULL;
    if (!PyTuple_Check(answer) || PyTuple_GET_SIZE(answer) != 4
        || !PyTuple_Check(ways = PyTuple_GET_ITEM(answer, 0))
        || !PyTuple_Check(implied = PyTuple_GET_ITEM(answer, 1))
        || !PyTuple_Check(proofs = PyTuple_GET_ITEM(answer, 2))
        || !PyTuple_Check(steps = PyTuple_GET_ITEM(answer, 3))) {
        PyErr_SetString(PyExc_TypeError, "ccov: branch builder returned the wrong shape");
        Py_DECREF(answer);
        return NULL;
    }
    Py_ssize_t nways = PyTuple_GET_SIZE(ways);
    BranchTable *table = PyMem_Calloc(1, sizeof(BranchTable) + (size_t)nways * sizeof(BranchWay));
    if (table == NULL) {
        PyErr_NoMemory();
        Py_DECREF(answer);
        return NULL;
    }
    table->nways = nways;
    if (fill_ways(table, ways) < 0 || fill_implied(table, implied) < 0 || fill_proofs(table, proofs) < 0
        || fill_steps(table, steps) < 0) {
        ccov_branches_free(table);
        table = NULL;
    }
    Py_DECREF(answer);
    return table;
}

int
ccov_branches_attach(CodeState *state)
{
    if (!ccov_state.branches || state->branches_built) {
        return 0;
    }
    state->branches_built = 1;
    BranchTable *table = build_table(state->code);
    if (table == NULL) {
        return -1;
    }
    ccov_stats.branch_tables++;
    state->branches = table;
    state->pending += table->needed;
    state->expected += table->needed;
    return 0;
}

void
ccov_branches_reset(CodeState *state)
{
    BranchTable *table = state->branches;
    for (Py_ssize_t i = 0; table != NULL && i < table->nways; i++) {
        table->ways[i].seen = 0;
    }
    for (Py_ssize_t i = 0; table != NULL && i < table->nproofs; i++) {
        table->proofs[i].seen = 0;
    }
    if (table != NULL) {
        table->last_step = 0;
    }
}

/* A step with no branch instruction: on from a line holding a one-line body
 * (known in advance), or out of an `async for` (to the next line that runs). */
static int
record_step(CodeState *state, long line)
{
    BranchTable *table = state->branches;
    long from = table->last_step;
    table->last_step = 0;
    if (from && from != line && ccov_files_record_arc(state->file_index, from, line) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < table->nsteps; i++) {
        if (table->steps[i][0] != line) {
            continue;
        }
        if (table->steps[i][1] == 0) {
            table->last_step = line;
        }
        else if (ccov_files_record_arc(state->file_index, line, table->steps[i][1]) < 0) {
            return -1;
        }
    }
    return 0;
}

int
ccov_branches_line(CodeState *state, long line)
{
    BranchTable *table = state->branches;
    if (table == NULL || line <= 0) {
        return 0;
    }
    if (table->nsteps && record_step(state, line) < 0) {
        return -1;
    }
    long index = line - table->implied_base;
    if (index < 0 || index >= table->implied_span) {
        return 0;
    }
    long source = table->implied_from[index];
    return source ? ccov_files_record_arc(state->file_index, source, line) : 0;
}

/* The first way of the instruction at `at`, or -1. */
static Py_ssize_t
find_ways(const BranchTable *table, long at)
{
    Py_ssize_t low = 0, high = table->nways;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if (table->ways[middle].at < at) {
            low = middle + 1;
        }
        else {
            high = middle;
        }
    }
    return low < table->nways && table->ways[low].at == at ? low : -1;
}

/* Note a direction; returns whether the location must keep reporting. */
static int
see_way(CodeState *state, long at, long destination)
{
    BranchTable *table = state->branches;
    Py_ssize_t first = find_ways(table, at);
    if (first < 0) {
        return 0;
    }
    int waiting = 0;
    for (Py_ssize_t i = first; i < table->nways && table->ways[i].at == at; i++) {
        BranchWay *way = &table->ways[i];
        if (way->destination == destination && !way->seen) {
            way->seen = 1;
            if (way->to_line != 0 && ccov_files_record_arc(state->file_index, way->from_line, way->to_line) < 0) {
                ccov_report_failure("BRANCH");
            }
            if (way->needed && ccov_codestate_settle(state)) {
                ccov_codestate_done(state, "BRANCH");
                return 0;
            }
        }
        waiting |= way->needed && !way->seen;
    }
    return waiting;
}

PyObject *
ccov_on_branch(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    ccov_stats.branch_events++;
    CodeState *state = nargs >= 3 ? ccov_codestate_get(args[0]) : NULL;
    if (state == NULL || state->branches == NULL) {
        return Py_NewRef(ccov_state.disable);
    }
    long at = PyLong_AsLong(args[1]);
    long destination = PyLong_AsLong(args[2]);
    if ((at == -1 || destination == -1) && PyErr_Occurred()) {
        ccov_report_failure("BRANCH");
        return Py_NewRef(ccov_state.disable);
    }
    if (ccov_state.contexts) {
        ccov_codestate_ran(state);
    }
    return see_way(state, at, destination) ? Py_NewRef(Py_None) : Py_NewRef(ccov_state.disable);
}

/* The event of the instruction at args[1] (PY_RETURN: a return; JUMP: an
 * unconditional jump) proves the arcs whose proof it is.  Each such location
 * reports once. */
static PyObject *
see_proof(PyObject *const *args, Py_ssize_t nargs, const char *where)
{
    CodeState *state = nargs >= 2 ? ccov_codestate_get(args[0]) : NULL;
    BranchTable *table = state ? state->branches : NULL;
    if (table == NULL || table->nproofs == 0) {
        return Py_NewRef(ccov_state.disable);
    }
    long at = PyLong_AsLong(args[1]);
    if (at == -1 && PyErr_Occurred()) {
        ccov_report_failure(where);
        return Py_NewRef(ccov_state.disable);
    }
    for (Py_ssize_t i = 0; i < table->nproofs; i++) {
        ProvedArc *arc = &table->proofs[i];
        if (arc->at != at || arc->seen) {
            continue;
        }
        arc->seen = 1;
        if (ccov_state.contexts) {
            ccov_codestate_ran(state);
        }
        if (ccov_files_record_arc(state->file_index, arc->from_line, arc->to_line) < 0) {
            ccov_report_failure(where);
        }
        if (ccov_codestate_settle(state)) {
            ccov_codestate_done(state, where);
            break;
        }
    }
    return Py_NewRef(ccov_state.disable);
}

/* PY_RETURN: a return instruction that only one branch direction reaches
 * proves that direction; any return proves its line's exit. */
PyObject *
ccov_on_return(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    return see_proof(args, nargs, "PY_RETURN");
}

/* JUMP: an unconditional jump that only one branch direction reaches (the
 * way back to a loop's head from an `if` that ends the loop's body) proves
 * that direction, so that the BRANCH event need not wait for it: on
 * 3.12/3.13 the BRANCH location of a branch that always goes the other way
 * would otherwise call back on every execution. */
PyObject *
ccov_on_jump(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    ccov_stats.jump_events++;
    return see_proof(args, nargs, "JUMP");
}

/* PY_UNWIND (a global event: it cannot be disabled, so it always returns
 * None): an exception leaving a measured function.  coverage.py records the
 * line it left from as an arc to the exit, and a branch line whose exit is
 * one of its destinations then counts that arc as taken. */
PyObject *
ccov_on_unwind(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    CodeState *state = nargs >= 2 && PyCode_Check(args[0]) ? ccov_codestate_get(args[0]) : NULL;
    if (state == NULL || state->branches == NULL) {
        Py_RETURN_NONE;
    }
    long at = PyLong_AsLong(args[1]);
    if (at == -1 && PyErr_Occurred()) {
        ccov_report_failure("PY_UNWIND");
        Py_RETURN_NONE;
    }
    PyCodeObject *code = (PyCodeObject *)args[0];
    int line = PyCode_Addr2Line(code, (int)at);
    if (line > 0 && ccov_files_record_arc(state->file_index, line, -(long)code->co_firstlineno) < 0) {
        ccov_report_failure("PY_UNWIND");
    }
    Py_RETURN_NONE;
}

#endif /* 3.12, 3.13 */
