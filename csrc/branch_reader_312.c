/* Reading a code object's branch table from its 3.12/3.13 bytecode.
 *
 * This is tests/branch_reference.py's branch_table in C: the Python module
 * is the readable reference (what each part means, and why, is written
 * there), and this file follows it step for step, so that the two give the
 * same table (tests/test_branch_reader.py compares them on every code object
 * of the standard library).  The collector asks for a table once per
 * measured code object, the first time it runs in branch mode; in Python that
 * cost about a million instructions per code object, most of what branch mode
 * added over line mode on a test suite.
 *
 * Instructions are addressed here by code unit (offset / 2); the table gives
 * byte offsets, as the BRANCH event does.
 */
#include "collector.h"

#if PY_VERSION_HEX < 0x030E0000

#define NO_LINE CCOV_NO_LINE
#define ENTRY 0           /* the pseudo-line of the code object's start */

/* A small set of line numbers, in the order first added. */
typedef struct {
    int32_t *items;
    Py_ssize_t size, room;
} LineSet;

typedef struct {
    PyObject *code;
    PyObject *consts;
    Py_ssize_t units;      /* code units (2 bytes each) */
    Py_ssize_t count;      /* instructions */
    int32_t *order;        /* the unit of each instruction, in order */
    int16_t *op;           /* per unit: the opcode starting there, -1 inside an instruction */
    uint32_t *arg;         /* per unit: the argument, EXTENDED_ARG included */
    int32_t *next;         /* per unit: the next instruction */
    int32_t *line;         /* per unit: its line, or NO_LINE */
    int32_t *handler;      /* per unit: where an exception there goes, or -1 */
    int32_t *end_line;     /* per unit: the last line of its expression (0: none) */
    int32_t *pred_start;   /* per unit: its predecessors are preds[pred_start[u] .. +pred_count[u]] */
    int32_t *pred_count;
    int32_t *preds;
    uint32_t *mark;        /* per unit: visited in walk number `stamp` */
    uint32_t stamp;
    int32_t *stack;        /* room for a walk over the predecessors */
    int32_t *path;         /* the instructions on a direction's way (arrival) */
    LineSet scratch;       /* an entry's lines before (entry_sources) */
} Code;

static int
push(LineSet *set, int32_t value)
{
    if (set->size == set->room) {
        Py_ssize_t room = set->room ? 2 * set->room : 8;
        int32_t *items = PyMem_Realloc(set->items, (size_t)room * sizeof(int32_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        set->items = items;
        set->room = room;
    }
    set->items[set->size++] = value;
    return 0;
}

static int
set_add(LineSet *set, int32_t value)
{
    for (Py_ssize_t i = 0; i < set->size; i++) {
        if (set->items[i] == value) {
            return 0;
        }
    }
    return push(set, value);
}

static int
is_instruction(const Code *c, Py_ssize_t u)
{
    return u >= 0 && u < c->units && c->op[u] >= 0;
}

static uint32_t
kind(const Code *c, Py_ssize_t u)
{
    return ccov_op_kinds[(uint8_t)c->op[u]];
}

static int
has_line(int32_t line)
{
    return line != NO_LINE && line != 0; /* Python's `if line` */
}

static void
code_free(Code *c)
{
    void *arrays[] = {c->order, c->op, c->arg, c->next, c->line, c->handler, c->end_line,
                      c->pred_start, c->pred_count, c->preds, c->mark, c->stack, c->path};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        PyMem_Free(arrays[i]);
    }
    PyMem_Free(c->scratch.items);
}

/* The instructions: opcode, argument and the next instruction of each. */
static void
decode_instructions(Code *c, const uint8_t *raw)
{
    uint32_t extended = 0;
    for (Py_ssize_t u = 0; u < c->units;) {
        uint8_t op = raw[2 * u];
        uint32_t arg = raw[2 * u + 1] | extended;
        extended = (ccov_op_kinds[op] & CCOV_OP_EXTENDED_ARG) ? arg << 8 : 0;
        c->op[u] = op;
        c->arg[u] = arg;
        c->order[c->count++] = (int32_t)u;
        Py_ssize_t next = ccov_next_instruction(raw, c->units, u);
        c->next[u] = (int32_t)next;
        u = next;
    }
}

/* co_exceptiontable: entries of four varints (start, length, handler,
 * depth and lasti), in code units; the first handler covering a unit wins. */
static void
read_handlers(Code *c)
{
    for (Py_ssize_t u = 0; u < c->units; u++) {
        c->handler[u] = -1;
    }
    PyObject *table = ((PyCodeObject *)c->code)->co_exceptiontable;
    const uint8_t *bytes = (const uint8_t *)PyBytes_AS_STRING(table);
    Py_ssize_t size = PyBytes_GET_SIZE(table), position = 0;
    long values[4];
    int filled = 0;
    while (position < size) {
        uint8_t byte = bytes[position++];
        long value = byte & 63;
        while ((byte & 64) && position < size) {
            byte = bytes[position++];
            value = (value << 6) | (byte & 63);
        }
        values[filled++] = value;
        if (filled < 4) {
            continue;
        }
        filled = 0;
        long start = values[0], stop = values[0] + values[1], handler = values[2];
        if (!is_instruction(c, handler)) {
            continue;
        }
        for (long u = start < 0 ? 0 : start; u < stop && u < c->units; u++) {
            if (c->handler[u] < 0) {
                c->handler[u] = (int32_t)handler;
            }
        }
    }
}

static Py_ssize_t
target(const Code *c, Py_ssize_t u)
{
    return ccov_jump_target(kind(c, u), c->next[u], c->arg[u]);
}

/* Where FOR_ITER goes when its iterator is done: past END_FOR (and 3.13's
 * POP_TOP) on its own line. */
static Py_ssize_t
loop_exit(const Code *c, Py_ssize_t u)
{
    Py_ssize_t exit = target(c, u);
    while (is_instruction(c, exit) && (kind(c, exit) & CCOV_OP_LOOP_EXIT_SKIP) && c->line[exit] == c->line[u]) {
        exit = c->next[exit];
    }
    return exit;
}

/* The instructions that can run after `u` (exceptions aside); how many. */
static int
successors(const Code *c, Py_ssize_t u, Py_ssize_t out[2])
{
    uint32_t k = kind(c, u);
    if (k & (CCOV_OP_FUNCTION_RETURN | CCOV_OP_NO_FALL_THROUGH)) {
        return 0;
    }
    if (k & CCOV_OP_ALWAYS) {
        out[0] = target(c, u);
        return 1;
    }
    if (k & (CCOV_OP_CONDITIONAL | CCOV_OP_SEND)) {
        out[0] = c->next[u];
        out[1] = k & CCOV_OP_FOR_ITER ? loop_exit(c, u) : target(c, u);
        return 2;
    }
    out[0] = c->next[u];
    return is_instruction(c, out[0]) ? 1 : 0;
}

/* Successors, and the exception handler, that are instructions. */
static int
ways_on(const Code *c, Py_ssize_t u, Py_ssize_t out[3])
{
    int count = successors(c, u, out);
    if (c->handler[u] >= 0) {
        out[count++] = c->handler[u];
    }
    int kept = 0;
    for (int i = 0; i < count; i++) {
        if (is_instruction(c, out[i])) {
            out[kept++] = out[i];
        }
    }
    return kept;
}

/* Each reachable instruction's predecessors, in order of the instructions. */
static int
find_predecessors(Code *c)
{
    uint8_t *reachable = PyMem_Calloc((size_t)c->units, 1);
    int32_t *todo = PyMem_Malloc((size_t)(3 * c->count + 1) * sizeof(int32_t));
    if (reachable == NULL || todo == NULL) {
        PyMem_Free(reachable);
        PyMem_Free(todo);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t pending = 0, total = 0;
    if (c->count > 0) {
        todo[pending++] = c->order[0];
    }
    Py_ssize_t way[3];
    while (pending > 0) {
        Py_ssize_t u = todo[--pending];
        if (reachable[u]) {
            continue;
        }
        reachable[u] = 1;
        int n = ways_on(c, u, way);
        for (int i = 0; i < n; i++) {
            todo[pending++] = (int32_t)way[i];
            c->pred_count[way[i]]++;
            total++;
        }
    }
    PyMem_Free(todo);
    c->preds = PyMem_Malloc((size_t)(total + 1) * sizeof(int32_t));
    /* A walk pushes the start's predecessors, then each instruction's once at most. */
    c->stack = PyMem_Malloc((size_t)(2 * total + 1) * sizeof(int32_t));
    if (c->preds == NULL || c->stack == NULL) {
        PyMem_Free(reachable);
        PyErr_NoMemory();
        return -1;
    }
    int32_t start = 0;
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i];
        c->pred_start[u] = start;
        start += c->pred_count[u];
        c->pred_count[u] = 0;
    }
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i];
        int n = reachable[u] ? ways_on(c, u, way) : 0;
        for (int j = 0; j < n; j++) {
            c->preds[c->pred_start[way[j]] + c->pred_count[way[j]]++] = u;
        }
    }
    PyMem_Free(reachable);
    return 0;
}

/* Whether `u`'s predecessors are exactly [previous]. */
static int
only_from(const Code *c, Py_ssize_t u, Py_ssize_t previous)
{
    return c->pred_count[u] == 1 && c->preds[c->pred_start[u]] == previous;
}

/* The lines that can have run just before instruction `u`, looking through
 * instructions that have no line. */
static int
lines_before(Code *c, Py_ssize_t u, LineSet *found)
{
    uint32_t stamp = ++c->stamp;
    Py_ssize_t pending = 0;
    for (int32_t i = 0; i < c->pred_count[u]; i++) {
        c->stack[pending++] = c->preds[c->pred_start[u] + i];
    }
    while (pending > 0) {
        int32_t previous = c->stack[--pending];
        if (c->mark[previous] == stamp) {
            continue;
        }
        c->mark[previous] = stamp;
        int32_t line = c->line[previous];
        if (line != NO_LINE) {
            if (set_add(found, line) < 0) {
                return -1;
            }
            continue;
        }
        if (c->pred_count[previous] == 0 && set_add(found, ENTRY) < 0) {
            return -1;
        }
        for (int32_t i = 0; i < c->pred_count[previous]; i++) {
            c->stack[pending++] = c->preds[c->pred_start[previous] + i];
        }
    }
    return 0;
}

/* ---- implied arcs -------------------------------------------------------- */

typedef struct {
    int32_t at, line;
    Py_ssize_t first, size;     /* its lines before: pool[first .. first + size] */
} Entry;

typedef struct {
    int32_t line, source;
    Py_ssize_t order;           /* the entry where the line first appears */
} Implied;

typedef struct {
    Entry *entries;
    Py_ssize_t nentries;
    LineSet pool;
    Implied *implied;           /* by line */
    Py_ssize_t nimplied;
} ImpliedArcs;

static void
implied_free(ImpliedArcs *arcs)
{
    PyMem_Free(arcs->entries);
    PyMem_Free(arcs->pool.items);
    PyMem_Free(arcs->implied);
}

/* Where instruction `u` may be entered from other lines: its lines before,
 * without its own line and the inner lines of its own expression, into the
 * pool; how many (0: none), or -1. */
static Py_ssize_t
entry_sources(Code *c, Py_ssize_t u, int32_t line, LineSet *pool)
{
    LineSet *before = &c->scratch;
    before->size = 0;
    if ((c->pred_count[u] ? lines_before(c, u, before) : set_add(before, ENTRY)) < 0) {
        return -1;
    }
    Py_ssize_t added = 0;
    for (Py_ssize_t i = 0; i < before->size; i++) {
        int32_t b = before->items[i];
        if (b == line || (line < b && b <= (c->end_line[u] ? c->end_line[u] : line))) {
            continue; /* from its own line, or back from its own multi-line expression's inner lines */
        }
        if (push(pool, b) < 0) {
            return -1;
        }
        added++;
    }
    return added;
}

typedef struct {
    int32_t line;
    Py_ssize_t index;
} ByLine;

static int
by_line(const void *a, const void *b)
{
    const ByLine *x = a, *y = b;
    if (x->line != y->line) {
        return x->line < y->line ? -1 : 1;
    }
    return (x->index > y->index) - (x->index < y->index);
}

/* Whether every way into the later entries of a line, from other lines, is a
 * jump back from after its first entry (a loop's header). */
static int
later_entries_loop_back(const Code *c, const ImpliedArcs *arcs, const ByLine *group, Py_ssize_t size)
{
    int32_t first_at = arcs->entries[group[0].index].at;
    for (Py_ssize_t i = 1; i < size; i++) {
        const Entry *entry = &arcs->entries[group[i].index];
        for (int32_t j = 0; j < c->pred_count[entry->at]; j++) {
            int32_t p = c->preds[c->pred_start[entry->at] + j];
            if (c->line[p] != entry->line && !((kind(c, p) & CCOV_OP_BACKWARD) && p > first_at)) {
                return 0;
            }
        }
    }
    return 1;
}

/* The line that implies a group of entries of one line, or NO_LINE. */
static int
implying_line(const Code *c, const ImpliedArcs *arcs, const ByLine *group, Py_ssize_t size, int32_t *source)
{
    LineSet sources = {0};
    for (Py_ssize_t i = 0; i < size; i++) {
        const Entry *entry = &arcs->entries[group[i].index];
        for (Py_ssize_t j = 0; j < entry->size; j++) {
            if (set_add(&sources, arcs->pool.items[entry->first + j]) < 0) {
                PyMem_Free(sources.items);
                return -1;
            }
        }
    }
    *source = NO_LINE;
    if (sources.size == 1 && sources.items[0] != ENTRY) {
        *source = sources.items[0];
    }
    else {
        const Entry *first = &arcs->entries[group[0].index];
        int32_t only = arcs->pool.items[first->first];
        if (first->size == 1 && only != ENTRY && later_entries_loop_back(c, arcs, group, size)) {
            *source = only;
        }
    }
    PyMem_Free(sources.items);
    return 0;
}

/* {line D: line L} for each line that cannot first run but from line L
 * (branch_reference.implied_arcs), into arcs->implied, by line. */
static int
find_implied(Code *c, ImpliedArcs *arcs)
{
    arcs->entries = PyMem_Malloc((size_t)(c->count + 1) * sizeof(Entry));
    if (arcs->entries == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t previous = -1;
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i], line = c->line[u];
        int straight = previous >= 0 && only_from(c, u, previous) && c->line[previous] == line;
        previous = u;
        if (!has_line(line) || straight || !(c->pred_count[u] || i == 0)) {
            continue;
        }
        Py_ssize_t first = arcs->pool.size, size = entry_sources(c, u, line, &arcs->pool);
        if (size < 0) {
            return -1;
        }
        if (size > 0) {
            arcs->entries[arcs->nentries++] = (Entry){u, line, first, size};
        }
    }
    ByLine *sorted = PyMem_Malloc((size_t)(arcs->nentries + 1) * sizeof(ByLine));
    arcs->implied = PyMem_Malloc((size_t)(arcs->nentries + 1) * sizeof(Implied));
    if (sorted == NULL || arcs->implied == NULL) {
        PyMem_Free(sorted);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < arcs->nentries; i++) {
        sorted[i] = (ByLine){arcs->entries[i].line, i};
    }
    if (arcs->nentries > 1) {
        qsort(sorted, (size_t)arcs->nentries, sizeof(ByLine), by_line);
    }
    for (Py_ssize_t start = 0, end; start < arcs->nentries; start = end) {
        for (end = start + 1; end < arcs->nentries && sorted[end].line == sorted[start].line; end++) {
        }
        int32_t source;
        if (implying_line(c, arcs, sorted + start, end - start, &source) < 0) {
            PyMem_Free(sorted);
            return -1;
        }
        if (source != NO_LINE) {
            arcs->implied[arcs->nimplied++] = (Implied){sorted[start].line, source, sorted[start].index};
        }
    }
    PyMem_Free(sorted);
    return 0;
}

/* The line that implies `line`, or NO_LINE. */
static int32_t
implied_source(const ImpliedArcs *arcs, int32_t line)
{
    Py_ssize_t low = 0, high = arcs->nimplied;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if (arcs->implied[middle].line < line) {
            low = middle + 1;
        }
        else {
            high = middle;
        }
    }
    return low < arcs->nimplied && arcs->implied[low].line == line ? arcs->implied[low].source : NO_LINE;
}

/* ---- where a direction arrives ------------------------------------------ */

/* The normal exit of a `with` block: __exit__(None, None, None). */
static int
is_with_exit(const Code *c, Py_ssize_t u)
{
    uint32_t kinds[4], args[4];
    for (int k = 0; k < 4; k++) {
        if (!is_instruction(c, u)) {
            return 0;
        }
        kinds[k] = kind(c, u);
        args[k] = c->arg[u];
        u = c->next[u];
    }
    for (int k = 0; k < 3; k++) {
        if (!(kinds[k] & CCOV_OP_LOAD_CONST) || args[k] >= (uint32_t)PyTuple_GET_SIZE(c->consts)
            || PyTuple_GET_ITEM(c->consts, args[k]) != Py_None) {
            return 0;
        }
    }
    return (kinds[3] & CCOV_OP_CALL) && args[3] == 2;
}

/* The line a direction of a branch on `line` arrives at (1, *arrives), or
 * none (0: decided by another branch on the line, or nowhere); the
 * instructions on the way are c->path[0 .. *length]. */
static int
arrival(Code *c, Py_ssize_t u, int32_t line, int32_t exit_line, int32_t *arrives, Py_ssize_t *length)
{
    uint32_t stamp = ++c->stamp;
    *length = 0;
    while (is_instruction(c, u) && c->mark[u] != stamp) {
        c->mark[u] = stamp;
        c->path[(*length)++] = (int32_t)u;
        int32_t here = c->line[u];
        if (here != NO_LINE && here != line) {
            if (!is_with_exit(c, u)) {
                *arrives = here;
                return 1;
            }
            line = here;
        }
        uint32_t k = kind(c, u);
        if (k & CCOV_OP_FUNCTION_RETURN) {
            *arrives = exit_line;
            return 1;
        }
        if (k & CCOV_OP_NO_FALL_THROUGH) {
            if (c->handler[u] < 0) {
                *arrives = exit_line;
                return 1;
            }
            u = c->handler[u];
            continue;
        }
        if (k & (CCOV_OP_CONDITIONAL | CCOV_OP_SEND)) {
            return 0;
        }
        u = k & CCOV_OP_ALWAYS ? target(c, u) : c->next[u];
    }
    return 0;
}

/* How many of the path's first instructions can only be reached, in order,
 * from `source`: reaching one of them proves that direction was taken. */
static Py_ssize_t
own_prefix(const Code *c, Py_ssize_t source, Py_ssize_t length)
{
    Py_ssize_t previous = source;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (!only_from(c, c->path[i], previous)) {
            return i;
        }
        previous = c->path[i];
    }
    return length;
}

/* Whether the whole path can only be reached, in order, from `source`. */
static int
only_way(const Code *c, Py_ssize_t source, Py_ssize_t length)
{
    return own_prefix(c, source, length) == length;
}

/* The first instruction of the path's own prefix that fires a JUMP event;
 * else -1. */
static Py_ssize_t
proving_jump(const Code *c, Py_ssize_t source, Py_ssize_t length)
{
    Py_ssize_t own = own_prefix(c, source, length);
    for (Py_ssize_t i = 0; i < own; i++) {
        if (kind(c, c->path[i]) & CCOV_OP_FIRES_JUMP) {
            return c->path[i];
        }
    }
    return -1;
}

/* A tuple of ints (Py_BuildValue parses its format each time). */
static PyObject *
int_tuple(Py_ssize_t size, const long *values)
{
    PyObject *tuple = PyTuple_New(size);
    for (Py_ssize_t i = 0; tuple != NULL && i < size; i++) {
        PyObject *value = PyLong_FromLong(values[i]);
        if (value == NULL) {
            Py_CLEAR(tuple);
            break;
        }
        PyTuple_SET_ITEM(tuple, i, value);
    }
    return tuple;
}

/* ---- the table ----------------------------------------------------------- */

/* An instruction whose event proves the arc line -> to: a return's
 * PY_RETURN, an unconditional jump's JUMP. */
typedef struct {
    int32_t at, line, to;
} Proof;

typedef struct {
    PyObject *directions;       /* list of (at, destination, from_line, to_line, needed) */
    Proof *proofs;
    Py_ssize_t nproofs, proofs_room; /* room: two per branch instruction, one per return */
    int32_t (*steps)[2];        /* (line, to_line) */
    Py_ssize_t nsteps;
} Found;

static int
add_proof(Found *found, int32_t at, int32_t line, int32_t to)
{
    if (found->nproofs >= found->proofs_room) {
        PyErr_SetString(PyExc_SystemError, "ccov: more proofs than instructions");
        return -1;
    }
    found->proofs[found->nproofs++] = (Proof){at, line, to};
    return 0;
}

/* Every direction of every branch instruction, and the returns and jumps
 * that prove one (the loop at the end of a function; an `if` that ends a
 * loop's body). */
static int
find_directions(Code *c, const ImpliedArcs *arcs, int32_t exit_line, Found *found)
{
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i], line = c->line[u];
        uint32_t k = kind(c, u);
        if (!(k & CCOV_OP_CONDITIONAL) || !has_line(line)) {
            continue;
        }
        Py_ssize_t destinations[2] = {c->next[u], k & CCOV_OP_FOR_ITER ? loop_exit(c, u) : target(c, u)};
        for (int d = 0; d < 2; d++) {
            int32_t arrives = 0;
            Py_ssize_t length;
            int arrived = arrival(c, destinations[d], line, exit_line, &arrives, &length);
            int needed = arrived && implied_source(arcs, arrives) != line;
            Py_ssize_t jump;
            if (arrived && arrives == exit_line && only_way(c, u, length)) {
                if (add_proof(found, c->path[length - 1], line, exit_line) < 0) {
                    return -1;
                }
                needed = 0;
            }
            else if (needed && (jump = proving_jump(c, u, length)) >= 0) {
                if (add_proof(found, (int32_t)jump, line, arrives) < 0) {
                    return -1;
                }
                needed = 0;
            }
            long fields[5] = {2L * u, 2L * (long)destinations[d], line, arrived ? arrives : 0, needed};
            PyObject *way = int_tuple(5, fields);
            if (way == NULL || PyList_Append(found->directions, way) < 0) {
                Py_XDECREF(way);
                return -1;
            }
            Py_DECREF(way);
        }
    }
    return 0;
}

/* An `async for` that ends the function leaves through a return of its own
 * that has no line (3.12): no LINE event follows its line there, so that
 * return's PY_RETURN event proves the way out. */
static int
find_async_for_exits(Code *c, int32_t exit_line, Found *found)
{
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i], line = c->line[u];
        if (!(kind(c, u) & CCOV_OP_ASYNC_FOR_END) || !has_line(line)) {
            continue;
        }
        int32_t arrives = 0;
        Py_ssize_t length;
        if (arrival(c, c->next[u], line, exit_line, &arrives, &length) && arrives == exit_line
            && only_way(c, u, length) && add_proof(found, c->path[length - 1], line, exit_line) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
has_instruction_on(const Code *c, int32_t line)
{
    for (Py_ssize_t i = 0; i < c->count; i++) {
        if (c->line[c->order[i]] == line) {
            return 1;
        }
    }
    return 0;
}

/* Where a line holding a nested one-line body goes on to: known only if
 * every copy of the line (a `finally` body has two) arrives at one place. */
static int32_t
one_line_step(Code *c, int32_t line, int32_t exit_line)
{
    int copies = 0, first_arrived = 0;
    int32_t first = 0;
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i];
        if (c->line[u] != line || (i > 0 && c->line[c->order[i - 1]] == line)) {
            continue;
        }
        int32_t arrives = 0;
        Py_ssize_t length;
        int arrived = arrival(c, u, line, exit_line, &arrives, &length);
        if (copies++ == 0) {
            first_arrived = arrived;
            first = arrives;
        }
        else if (arrived != first_arrived || (arrived && arrives != first)) {
            return 0;
        }
    }
    return first_arrived ? first : 0;
}

static int
by_step(const void *a, const void *b)
{
    const int32_t *x = a, *y = b;
    if (x[0] != y[0]) {
        return x[0] < y[0] ? -1 : 1;
    }
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Lines whose step on is a branch direction with no branch instruction:
 * the end of an `async for` (to_line 0), and a line holding a nested
 * one-line body; sorted, without repeats. */
static int
find_steps(Code *c, int32_t exit_line, Found *found)
{
    PyObject *consts = c->consts;
    Py_ssize_t room = c->count + PyTuple_GET_SIZE(consts) + 1;
    found->steps = PyMem_Malloc((size_t)room * sizeof(found->steps[0]));
    LineSet one_line = {0};
    if (found->steps == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i];
        if ((kind(c, u) & CCOV_OP_ASYNC_FOR_END) && has_line(c->line[u])) {
            found->steps[found->nsteps][0] = c->line[u];
            found->steps[found->nsteps++][1] = 0;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); i++) {
        PyObject *nested = PyTuple_GET_ITEM(consts, i);
        long line;
        if (!PyCode_Check(nested)) {
            continue;
        }
        if (ccov_one_line_body(nested, &line) < 0
            || (line != 0 && line > INT32_MIN && line <= INT32_MAX && has_instruction_on(c, (int32_t)line)
                && set_add(&one_line, (int32_t)line) < 0)) {
            PyMem_Free(one_line.items);
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < one_line.size; i++) {
        found->steps[found->nsteps][0] = one_line.items[i];
        found->steps[found->nsteps++][1] = one_line_step(c, one_line.items[i], exit_line);
    }
    PyMem_Free(one_line.items);
    if (found->nsteps > 1) {
        qsort(found->steps, (size_t)found->nsteps, sizeof(found->steps[0]), by_step);
    }
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < found->nsteps; i++) {
        if (kept == 0 || by_step(found->steps[kept - 1], found->steps[i]) != 0) {
            found->steps[kept][0] = found->steps[i][0];
            found->steps[kept++][1] = found->steps[i][1];
        }
    }
    found->nsteps = kept;
    return 0;
}

/* Every other return leaves from its own line, as a tracer sees it. */
static int
add_other_returns(Code *c, Found *found, int32_t exit_line)
{
    Py_ssize_t proved = found->nproofs;
    for (Py_ssize_t i = 0; i < c->count; i++) {
        int32_t u = c->order[i];
        if (!(kind(c, u) & CCOV_OP_FUNCTION_RETURN) || !has_line(c->line[u])) {
            continue;
        }
        int taken = 0;
        for (Py_ssize_t j = 0; j < proved && !taken; j++) {
            taken = found->proofs[j].at == u;
        }
        if (!taken && add_proof(found, u, c->line[u], exit_line) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
by_entry(const void *a, const void *b)
{
    const Implied *x = a, *y = b;
    return (x->order > y->order) - (x->order < y->order);
}

static PyObject *
table_tuple(ImpliedArcs *arcs, const Found *found)
{
    PyObject *directions = PyList_AsTuple(found->directions);
    PyObject *implied = PyTuple_New(arcs->nimplied);
    PyObject *proofs = PyTuple_New(found->nproofs);
    PyObject *steps = PyTuple_New(found->nsteps);
    int ok = directions && implied && proofs && steps;
    /* In order of each line's first entry, as the reference's dict (the
     * lookups by line are done by now). */
    if (arcs->nimplied > 1) {
        qsort(arcs->implied, (size_t)arcs->nimplied, sizeof(Implied), by_entry);
    }
    for (Py_ssize_t i = 0; ok && i < arcs->nimplied; i++) {
        long fields[2] = {arcs->implied[i].line, arcs->implied[i].source};
        PyObject *pair = int_tuple(2, fields);
        ok = pair != NULL;
        if (ok) {
            PyTuple_SET_ITEM(implied, i, pair);
        }
    }
    for (Py_ssize_t i = 0; ok && i < found->nproofs; i++) {
        long fields[3] = {2L * found->proofs[i].at, found->proofs[i].line, found->proofs[i].to};
        PyObject *item = int_tuple(3, fields);
        ok = item != NULL;
        if (ok) {
            PyTuple_SET_ITEM(proofs, i, item);
        }
    }
    for (Py_ssize_t i = 0; ok && i < found->nsteps; i++) {
        long fields[2] = {found->steps[i][0], found->steps[i][1]};
        PyObject *item = int_tuple(2, fields);
        ok = item != NULL;
        if (ok) {
            PyTuple_SET_ITEM(steps, i, item);
        }
    }
    PyObject *table = ok ? PyTuple_Pack(4, directions, implied, proofs, steps) : NULL;
    Py_XDECREF(directions);
    Py_XDECREF(implied);
    Py_XDECREF(proofs);
    Py_XDECREF(steps);
    return table;
}

static int
code_init(Code *c, PyObject *code, PyObject *bytecode)
{
    c->code = code;
    c->consts = ((PyCodeObject *)code)->co_consts;
    c->units = PyBytes_GET_SIZE(bytecode) / 2;
    size_t n = (size_t)c->units + 1;
    c->order = PyMem_Malloc(n * sizeof(int32_t));
    c->op = PyMem_Malloc(n * sizeof(int16_t));
    c->arg = PyMem_Calloc(n, sizeof(uint32_t));
    c->next = PyMem_Calloc(n, sizeof(int32_t));
    c->line = PyMem_Malloc(n * sizeof(int32_t));
    c->handler = PyMem_Malloc(n * sizeof(int32_t));
    c->end_line = PyMem_Malloc(n * sizeof(int32_t));
    c->pred_start = PyMem_Calloc(n, sizeof(int32_t));
    c->pred_count = PyMem_Calloc(n, sizeof(int32_t));
    c->mark = PyMem_Calloc(n, sizeof(uint32_t));
    c->path = PyMem_Malloc(n * sizeof(int32_t));
    if (!c->order || !c->op || !c->arg || !c->next || !c->line || !c->handler || !c->end_line || !c->pred_start
        || !c->pred_count || !c->mark || !c->path) {
        PyErr_NoMemory();
        return -1;
    }
    if (c->units > INT32_MAX / 2) {
        PyErr_SetString(PyExc_OverflowError, "ccov: code object too large");
        return -1;
    }
    for (Py_ssize_t u = 0; u < c->units; u++) {
        c->op[u] = -1;
    }
    decode_instructions(c, (const uint8_t *)PyBytes_AS_STRING(bytecode));
    if (ccov_unit_lines(c->code, c->units, c->line, c->end_line) < 0) {
        return -1;
    }
    read_handlers(c);
    return 0;
}

/* Whether the code's own body is on one line (ccov_one_line_body), read
 * from the lines already decoded: those of the units after RESUME. */
static int
own_one_line_body(const Code *c)
{
    Py_ssize_t body_start = 0;
    for (Py_ssize_t i = 0; i < c->count; i++) {
        if (kind(c, c->order[i]) & CCOV_OP_RESUME) {
            body_start = c->next[c->order[i]];
            break;
        }
    }
    int32_t only = 0;
    for (Py_ssize_t u = body_start; u < c->units; u++) {
        if (has_line(c->line[u])) {
            if (only != 0 && c->line[u] != only) {
                return 0;
            }
            only = c->line[u];
        }
    }
    return only != 0;
}

static int
can_go_two_ways(const Code *c)
{
    for (Py_ssize_t i = 0; i < c->count; i++) {
        if (kind(c, c->order[i]) & (CCOV_OP_CONDITIONAL | CCOV_OP_SEND | CCOV_OP_ASYNC_FOR_END)) {
            return 1;
        }
    }
    return 0;
}

static PyObject *
read_table(Code *c, ImpliedArcs *arcs, Found *found)
{
    long first_line = ((PyCodeObject *)c->code)->co_firstlineno;
    int32_t exit_line = (int32_t)-first_line;
    /* Code that cannot go two ways records no arc between its lines: its
     * flow graph is not built (branch_reference.branch_table). */
    int two_way = can_go_two_ways(c);
    if (two_way && (find_predecessors(c) < 0 || find_implied(c, arcs) < 0)) {
        return NULL;
    }
    found->proofs_room = 3 * c->count + 1;
    found->proofs = PyMem_Malloc((size_t)found->proofs_room * sizeof(Proof));
    found->directions = PyList_New(0);
    if (found->proofs == NULL || found->directions == NULL) {
        return found->proofs == NULL ? PyErr_NoMemory() : NULL;
    }
    if (find_directions(c, arcs, exit_line, found) < 0 || find_async_for_exits(c, exit_line, found) < 0
        || find_steps(c, exit_line, found) < 0) {
        return NULL;
    }
    if ((two_way || found->nsteps > 0 || own_one_line_body(c)) && add_other_returns(c, found, exit_line) < 0) {
        return NULL;
    }
    return table_tuple(arcs, found);
}

PyObject *
ccov_read_branch_table(PyObject *code)
{
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "ccov: a code object is needed");
        return NULL;
    }
    long first_line = ((PyCodeObject *)code)->co_firstlineno;
    if (first_line < 0 || first_line > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "ccov: first line out of range");
        return NULL;
    }
    PyObject *bytecode = PyCode_GetCode((PyCodeObject *)code);
    if (bytecode == NULL) {
        return NULL;
    }
    Code c = {0};
    ImpliedArcs arcs = {0};
    Found found = {0};
    PyObject *table = code_init(&c, code, bytecode) < 0 ? NULL : read_table(&c, &arcs, &found);
    Py_XDECREF(found.directions);
    PyMem_Free(found.proofs);
    PyMem_Free(found.steps);
    implied_free(&arcs);
    code_free(&c);
    Py_DECREF(bytecode);
    return table;
}

#endif
