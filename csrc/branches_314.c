/* Branch coverage on 3.14+: BRANCH_LEFT and BRANCH_RIGHT.  (3.12, 3.13:
 * branches_312.c.)
 *
 * Each direction of a branch reports on its own and is disabled on its own,
 * so a branch that always goes one way costs one callback; the indirection
 * 3.12/3.13 needed (waiting only for directions no LINE event proves) is
 * gone.  What is recorded follows coverage.py's sys.monitoring core, the
 * default there on 3.14+, so that the arcs agree with it:
 *
 *  - a direction's arc: from the branch instruction's statement to the first
 *    instruction, walking from the destination through unconditional jumps,
 *    that belongs to another statement; a return on the way is an exit; and
 *    another conditional jump on the way means no arc (that branch reports
 *    its own).  Statements, not raw lines: a multi-line condition or body
 *    is one statement, by the file's statement map (ccov.model.source, read once
 *    per file, at its first branch event);
 *  - LINE: the step from the line seen last in the code object, if another
 *    (a branch that reports no BRANCH event, such as a body on a `def` or
 *    `class` line, or `async for`, is seen this way);
 *  - PY_RETURN: the arc from the returning line to the exit.
 *
 * Every direction (co_branches()) and every return instruction is expected:
 * a code object drops its instrumentation once all of them and all its lines
 * were seen.  Code that cannot go two ways gets no table (can_branch): it is
 * measured as in line mode, and records no arcs, as on 3.12/3.13.  An
 * exception leaving a function makes no exit arc here (coverage.py's
 * sys.monitoring core records none either), so the global PY_UNWIND event
 * of 3.12/3.13 is not used.
 *
 * In line mode too, PY_RETURN marks its line run: 3.14 fires no LINE event
 * for a return block the compiler duplicated after a loop that ran to its
 * end (coverage.py reports that line missing; it ran).
 */
#include "collector.h"

#if PY_VERSION_HEX >= 0x030E0000

typedef struct {
    int32_t at, left, right;     /* offsets: the instruction and its two destinations */
    uint8_t seen_left, seen_right;
} BranchSite;

typedef struct {
    int32_t at;                  /* a return instruction */
    uint8_t seen;
} ReturnSite;

struct BranchTable {
    Py_ssize_t nsites, nreturns;
    long needed;
    long last_line;              /* the line seen last in this code object (0: none) */
    PyObject *bytecode;          /* co_code, fetched at the first event that needs it */
    int32_t *lines;              /* per code unit: its line (0: none), the same time */
    Py_ssize_t nunits;
    ReturnSite *returns;
    BranchSite sites[];          /* in order of `at` */
};

void
ccov_branches_free(BranchTable *table)
{
    if (table != NULL) {
        Py_XDECREF(table->bytecode);
        PyMem_Free(table->lines);
        PyMem_Free(table->returns);
        PyMem_Free(table);
    }
}

static int
by_offset(const void *a, const void *b)
{
    int32_t x = ((const BranchSite *)a)->at, y = ((const BranchSite *)b)->at;
    return (x > y) - (x < y);
}

/* co_branches() as sites: (instruction, left, right) offsets. */
static BranchTable *
read_sites(PyObject *code)
{
    PyObject *found = PyObject_CallMethod(code, "co_branches", NULL);
    PyObject *list = found ? PySequence_List(found) : NULL;
    Py_XDECREF(found);
    if (list == NULL) {
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(list);
    BranchTable *table = PyMem_Calloc(1, sizeof(BranchTable) + (size_t)count * sizeof(BranchSite));
    if (table == NULL) {
        Py_DECREF(list);
        PyErr_NoMemory();
        return NULL;
    }
    table->nsites = count;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        long field[3];
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) {
            PyErr_SetString(PyExc_TypeError, "ccov: co_branches() gave something else than (at, left, right)");
            goto fail;
        }
        for (int k = 0; k < 3; k++) {
            field[k] = PyLong_AsLong(PyTuple_GET_ITEM(item, k));
            if ((field[k] == -1 && PyErr_Occurred()) || field[k] < 0 || field[k] > INT32_MAX) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_OverflowError, "ccov: branch offset out of range");
                }
                goto fail;
            }
        }
        table->sites[i].at = (int32_t)field[0];
        table->sites[i].left = (int32_t)field[1];
        table->sites[i].right = (int32_t)field[2];
    }
    Py_DECREF(list);
    qsort(table->sites, (size_t)count, sizeof(BranchSite), by_offset);
    return table;
fail:
    Py_DECREF(list);
    PyMem_Free(table);
    return NULL;
}

/* The return instructions (they fire PY_RETURN), from the bytecode. */
static int
read_returns(BranchTable *table, PyObject *code)
{
    PyObject *bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (bytecode == NULL) {
        return -1;
    }
    const uint8_t *units = (const uint8_t *)PyBytes_AS_STRING(bytecode);
    Py_ssize_t size = PyBytes_GET_SIZE(bytecode), count = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (Py_ssize_t at = 0; at + 1 < size; at += 2) {
            if (ccov_op_kinds[units[at]] & CCOV_OP_PY_RETURN) {
                if (pass == 1) {
                    table->returns[count].at = (int32_t)at;
                }
                count++;
            }
        }
        if (pass == 0) {
            table->nreturns = count;
            if (count == 0) {
                break;
            }
            table->returns = PyMem_Calloc((size_t)count, sizeof(ReturnSite));
            if (table->returns == NULL) {
                Py_DECREF(bytecode);
                PyErr_NoMemory();
                return -1;
            }
            count = 0;
        }
    }
    Py_DECREF(bytecode);
    return 0;
}

/* Whether an `async for` ends in this code; -1 on error. */
static int
ends_async_for(PyObject *code)
{
    PyObject *bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (bytecode == NULL) {
        return -1;
    }
    const uint8_t *units = (const uint8_t *)PyBytes_AS_STRING(bytecode);
    Py_ssize_t size = PyBytes_GET_SIZE(bytecode);
    int found = 0;
    for (Py_ssize_t at = 0; at + 1 < size && !found; at += 2) {
        found = (ccov_op_kinds[units[at]] & CCOV_OP_ASYNC_FOR_END) != 0;
    }
    Py_DECREF(bytecode);
    return found;
}

/* Whether an arc of this code object can be a branch arc of coverage.py's
 * model (ccov.model.syntax_branches): it has a branch instruction, the end
 * of an `async for` (which reports no branch event), a body on its own
 * `def` or `class` line (its way out is a branch of that line), or holds
 * such a body (the way on from the line is the other).  Code with none of
 * them (most code objects) needs no table: the steps between its lines
 * and its ways out are arcs no report counts.  -1 on error. */
static int
can_branch(const BranchTable *table, PyObject *code)
{
    if (table->nsites > 0) {
        return 1;
    }
    int async_for_end = ends_async_for(code);
    if (async_for_end != 0) {
        return async_for_end;
    }
    long line;
    if (ccov_one_line_body(code, &line) < 0) {
        return -1;
    }
    PyObject *consts = ((PyCodeObject *)code)->co_consts;
    for (Py_ssize_t i = 0; line == 0 && i < PyTuple_GET_SIZE(consts); i++) {
        PyObject *nested = PyTuple_GET_ITEM(consts, i);
        if (PyCode_Check(nested) && ccov_one_line_body(nested, &line) < 0) {
            return -1;
        }
    }
    return line != 0;
}

int
ccov_branches_attach(CodeState *state)
{
    if (!ccov_state.branches || state->branches_built) {
        return 0;
    }
    state->branches_built = 1;
    BranchTable *table = read_sites(state->code);
    if (table == NULL) {
        return -1;
    }
    int branching = can_branch(table, state->code);
    if (branching <= 0) {
        ccov_branches_free(table);  /* measured as in line mode */
        return branching;
    }
    if (read_returns(table, state->code) < 0) {
        ccov_branches_free(table);
        return -1;
    }
    table->needed = 2 * table->nsites + table->nreturns;
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
    if (table == NULL) {
        return;
    }
    table->last_line = 0;
    for (Py_ssize_t i = 0; i < table->nsites; i++) {
        table->sites[i].seen_left = table->sites[i].seen_right = 0;
    }
    for (Py_ssize_t i = 0; i < table->nreturns; i++) {
        table->returns[i].seen = 0;
    }
}

int
ccov_branches_line(CodeState *state, long line)
{
    BranchTable *table = state->branches;
    if (table == NULL || line <= 0) {
        return 0;
    }
    long previous = table->last_line;
    table->last_line = line;
    if (previous > 0 && previous != line) {
        return ccov_files_record_arc(state->file_index, previous, line);
    }
    return 0;
}

/* The bytecode and the line of each code unit, once per code object. */
static int
load_units(BranchTable *table, PyObject *code)
{
    if (table->lines != NULL) {
        return 0;
    }
    table->bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (table->bytecode == NULL) {
        return -1;
    }
    table->nunits = PyBytes_GET_SIZE(table->bytecode) / 2;
    table->lines = PyMem_Calloc((size_t)table->nunits + 1, sizeof(int32_t));
    PyObject *ranges = table->lines ? PyObject_CallMethod(code, "co_lines", NULL) : NULL;
    PyObject *iterator = ranges ? PyObject_GetIter(ranges) : NULL;
    Py_XDECREF(ranges);
    if (iterator == NULL) {
        if (table->lines == NULL) {
            PyErr_NoMemory();
        }
        return -1;
    }
    PyObject *item;
    while ((item = PyIter_Next(iterator)) != NULL) {
        if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 3 && PyTuple_GET_ITEM(item, 2) != Py_None) {
            long start = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
            long end = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
            long line = PyLong_AsLong(PyTuple_GET_ITEM(item, 2));
            for (long unit = start / 2; unit < end / 2 && unit < table->nunits && line > 0 && line <= INT32_MAX; unit++) {
                table->lines[unit] = (int32_t)line;
            }
        }
        Py_DECREF(item);
        if (PyErr_Occurred()) {
            break;
        }
    }
    Py_DECREF(iterator);
    return PyErr_Occurred() ? -1 : 0;
}

/* One varint of co_exceptiontable (6 bits a byte, 0x40: more follow). */
static long
table_varint(const uint8_t *bytes, Py_ssize_t size, Py_ssize_t *at)
{
    long value = 0;
    while (*at < size) {
        uint8_t byte = bytes[(*at)++];
        value = (value << 6) | (byte & 0x3f);
        if (!(byte & 0x40)) {
            break;
        }
    }
    return value;
}

/* Whether an exception raised at `offset` is caught in the code object
 * (co_exceptiontable has an entry covering it); -1 on error. */
static int
handled_at(PyObject *code, long offset)
{
    PyObject *table = PyObject_GetAttrString(code, "co_exceptiontable");
    if (table == NULL || !PyBytes_Check(table)) {
        Py_XDECREF(table);
        return -1;
    }
    const uint8_t *bytes = (const uint8_t *)PyBytes_AS_STRING(table);
    Py_ssize_t size = PyBytes_GET_SIZE(table), at = 0;
    int handled = 0;
    while (at < size && !handled) {
        long start = table_varint(bytes, size, &at) * 2;
        long length = table_varint(bytes, size, &at) * 2;
        table_varint(bytes, size, &at);  /* the handler */
        table_varint(bytes, size, &at);  /* depth and lasti */
        handled = start <= offset && offset < start + length;
    }
    Py_DECREF(table);
    return handled;
}

static long
line_at(const BranchTable *table, long offset)
{
    return offset >= 0 && offset / 2 < table->nunits ? table->lines[offset / 2] : 0;
}

/* The arc of a direction (from `at`, arriving at `destination`): 1 with
 * *from and *to set, 0 for none.  The walk of coverage.py's resolver. */
static int
resolve(CodeState *state, long at, long destination, long *from, long *to)
{
    BranchTable *table = state->branches;
    const uint8_t *code = (const uint8_t *)PyBytes_AS_STRING(table->bytecode);
    Py_ssize_t size = PyBytes_GET_SIZE(table->bytecode);
    long source = line_at(table, at);
    if (source <= 0) {
        return 0;
    }
    *from = ccov_files_statement(state->file_index, source);
    long offset = destination, extended = 0;
    /* Each step moves on or jumps; a cycle of jumps ends after size steps. */
    for (Py_ssize_t steps = 0; offset >= 0 && offset + 1 < size && steps <= size; steps++) {
        uint8_t op = code[offset];
        unsigned kind = ccov_op_kinds[op];
        if (kind & CCOV_OP_CACHE) {
            offset += 2;
            continue;
        }
        if (kind & CCOV_OP_EXTENDED_ARG) {
            extended = (extended | code[offset + 1]) << 8;
            offset += 2;
            continue;
        }
        long line = line_at(table, offset);
        if (line > 0) {
            line = ccov_files_statement(state->file_index, line);
            if (line != *from) {
                *to = line;
                return 1;
            }
        }
        if (kind & CCOV_OP_JUMP) {
            if (!(kind & CCOV_OP_ALWAYS)) {
                return 0;  /* another branch: it reports its own events */
            }
            long argument = extended | code[offset + 1];
            long next = offset + 2;
            while (next + 1 < size && (ccov_op_kinds[code[next]] & CCOV_OP_CACHE)) {
                next += 2;  /* a jump counts from after its inline cache entries */
            }
            offset = kind & CCOV_OP_BACKWARD ? next - 2 * argument : next + 2 * argument;
            extended = 0;
            continue;
        }
        if (kind & CCOV_OP_RETURN) {
            *to = -(long)((PyCodeObject *)state->code)->co_firstlineno;
            return 1;
        }
        if (kind & CCOV_OP_RAISE) {
            /* A raise in a body on the branch's own line (`if x: raise E`):
             * out of the function, unless a handler here catches it (whose
             * line, when it runs, records the step). */
            int handled = handled_at(state->code, offset);
            if (handled == 0) {
                *to = -(long)((PyCodeObject *)state->code)->co_firstlineno;
                return 1;
            }
            if (handled < 0) {
                PyErr_Clear();
            }
            return 0;
        }
        if (kind & CCOV_OP_NO_FALL_THROUGH) {
            return 0;  /* what follows belongs to another path */
        }
        extended = 0;
        offset += 2;
    }
    return 0;
}

static BranchSite *
find_site(BranchTable *table, long at)
{
    Py_ssize_t low = 0, high = table->nsites;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if (table->sites[middle].at < at) {
            low = middle + 1;
        }
        else {
            high = middle;
        }
    }
    return low < table->nsites && table->sites[low].at == at ? &table->sites[low] : NULL;
}

/* Record the arc of one direction: resolved, or else (an exception moving
 * from line to line, as coverage.py takes it) the two raw lines. */
static int
record_direction(CodeState *state, long at, long destination)
{
    BranchTable *table = state->branches;
    if (load_units(table, state->code) < 0) {
        return -1;
    }
    long from, to;
    if (resolve(state, at, destination, &from, &to)) {
        return ccov_files_record_arc(state->file_index, from, to);
    }
    long raw_from = line_at(table, at), raw_to = line_at(table, destination);
    if (raw_from > 0 && raw_to > 0 && raw_from != raw_to) {
        return ccov_files_record_arc(state->file_index, raw_from, raw_to);
    }
    return 0;
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
    BranchSite *site = find_site(state->branches, at);
    uint8_t *seen = NULL;
    if (site != NULL) {
        seen = destination == site->left ? &site->seen_left : destination == site->right ? &site->seen_right : NULL;
    }
    if (seen != NULL && *seen) {
        return Py_NewRef(ccov_state.disable);
    }
    if (record_direction(state, at, destination) < 0) {
        ccov_report_failure("BRANCH");
    }
    if (seen != NULL) {
        *seen = 1;
        if (ccov_codestate_settle(state)) {
            ccov_codestate_done(state, "BRANCH");
        }
    }
    return Py_NewRef(ccov_state.disable);
}

PyObject *
ccov_on_return(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    CodeState *state = nargs >= 2 ? ccov_codestate_get(args[0]) : NULL;
    if (state == NULL) {
        return Py_NewRef(ccov_state.disable);
    }
    long at = PyLong_AsLong(args[1]);
    if (at == -1 && PyErr_Occurred()) {
        ccov_report_failure("PY_RETURN");
        return Py_NewRef(ccov_state.disable);
    }
    long line = PyCode_Addr2Line((PyCodeObject *)state->code, (int)at);
    if (line <= 0) {
        return Py_NewRef(ccov_state.disable);
    }
    if (ccov_state.contexts) {
        ccov_codestate_ran(state);
    }
    int done = 0;
    if (ccov_files_record(state->file_index, line) < 0) {
        ccov_report_failure("PY_RETURN");
    }
    else {
        done = ccov_codestate_see(state, line);
    }
    BranchTable *table = state->branches;
    if (table != NULL) {
        table->last_line = 0;  /* the frame ends: the next line is another frame's */
        long exit = -(long)((PyCodeObject *)state->code)->co_firstlineno;
        if (ccov_files_record_arc(state->file_index, line, exit) < 0) {
            ccov_report_failure("PY_RETURN");
        }
        for (Py_ssize_t i = 0; i < table->nreturns; i++) {
            if (table->returns[i].at == at && !table->returns[i].seen) {
                table->returns[i].seen = 1;
                done = ccov_codestate_settle(state) || done;
                break;
            }
        }
    }
    if (done) {
        ccov_codestate_done(state, "PY_RETURN");
    }
    return Py_NewRef(ccov_state.disable);
}

PyObject *
ccov_on_unwind(PyObject *Py_UNUSED(self), PyObject *const *Py_UNUSED(args), Py_ssize_t Py_UNUSED(nargs))
{
    Py_RETURN_NONE;  /* not registered on 3.14+ (see the top of this file) */
}

#endif /* 3.14+ */
