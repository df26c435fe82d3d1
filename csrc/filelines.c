/* Executed lines per measured file, as growable bitmaps.
 *
 * The file decision is made by Python (ccov.measuring.file_selection) once per file name and
 * cached here, so the hot path never calls back into Python.
 */
#include "collector.h"

typedef struct {
    PyObject *filename; /* strong */
    uint8_t *bits;      /* bit n of the bitmap set = line n ran */
    size_t nbytes;
    PyObject *arcs;     /* branch mode: set of encoded arcs, made on first use */
    /* 3.14+ branch mode: line -> first line of its statement, for the lines of
     * multi-line statements (0 elsewhere); asked for once. */
    int32_t *statement_of;
    long statements_base, statements_span;
    int statements_asked;
} FileLines;

static PyObject *decisions;   /* filename -> index (int) or None */
static FileLines *files;
static Py_ssize_t nfiles, capacity;

static int deciding_init(void);

int
ccov_files_init(void)
{
    ccov_files_clear();
    if (deciding_init() < 0) {
        return -1;
    }
    decisions = PyDict_New();
    return decisions ? 0 : -1;
}

void
ccov_files_clear(void)
{
    for (Py_ssize_t i = 0; i < nfiles; i++) {
        Py_DECREF(files[i].filename);
        PyMem_Free(files[i].bits);
        Py_XDECREF(files[i].arcs);
        PyMem_Free(files[i].statement_of);
    }
    PyMem_Free(files);
    files = NULL;
    nfiles = capacity = 0;
    Py_CLEAR(decisions);
}

static Py_ssize_t
add_file(PyObject *filename)
{
    if (nfiles == capacity) {
        Py_ssize_t grown = capacity ? capacity * 2 : 64;
        FileLines *bigger = PyMem_Realloc(files, grown * sizeof(FileLines));
        if (bigger == NULL) {
            PyErr_NoMemory();
            return -2;
        }
        files = bigger;
        capacity = grown;
    }
    memset(&files[nfiles], 0, sizeof(FileLines));
    files[nfiles].filename = Py_NewRef(filename);
    return nfiles++;
}

/* Whether this thread is inside a decision.  The decision is Python code
 * that releases the GIL (os.stat), so decisions of several threads
 * interleave: the flag must belong to the thread, never to the process (a
 * process-wide marker saved and restored like a stack is left pointing at
 * the wrong thread when two decisions overlap, and that thread's files are
 * then never measured).  Thread-specific storage is also what a
 * free-threaded build needs here. */
static Py_tss_t deciding = Py_tss_NEEDS_INIT;

static int
deciding_init(void)
{
    if (!PyThread_tss_is_created(&deciding) && PyThread_tss_create(&deciding) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "ccov: no thread-specific storage key left");
        return -1;
    }
    return 0;
}

static int
this_thread_decides(void)
{
    return PyThread_tss_get(&deciding) != NULL;
}

static Py_ssize_t
decide(PyObject *filename)
{
    /* A decision never nests in its own thread (see ccov_files_lookup), so
     * the flag is simply set and cleared. */
    if (PyThread_tss_set(&deciding, (void *)1) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "ccov: cannot set thread-specific storage");
        return -2;
    }
    PyObject *verdict = ccov_call_python(ccov_state.decide, filename);
    PyThread_tss_set(&deciding, NULL);
    if (verdict == NULL) {
        return -2;
    }
    int measured = PyObject_IsTrue(verdict);
    Py_DECREF(verdict);
    if (measured < 0) {
        return -2;
    }
    if (!measured) {
        ccov_stats.files_ignored++;
        return CCOV_FILE_UNMEASURED;
    }
    ccov_stats.files_measured++;
    return add_file(filename);
}

/* Undo add_file() of the entry just made (it is the last one). */
static void
drop_last_file(Py_ssize_t index)
{
    if (index == nfiles - 1) {
        Py_DECREF(files[index].filename);
        PyMem_Free(files[index].bits);
        Py_XDECREF(files[index].arcs);
        PyMem_Free(files[index].statement_of);
        nfiles--;
    }
}

Py_ssize_t
ccov_files_lookup(PyObject *filename)
{
    PyObject *known = PyDict_GetItemWithError(decisions, filename);
    if (known != NULL) {
        return known == Py_None ? CCOV_FILE_UNMEASURED : PyLong_AsSsize_t(known);
    }
    if (PyErr_Occurred()) {
        return -2;
    }
    if (this_thread_decides()) {
        /* Code created while this thread decides (an import inside the
         * decision) is the decision's own machinery: not measured, and not
         * cached, so the file still gets a real decision later. */
        return CCOV_FILE_UNMEASURED;
    }
    Py_ssize_t index = decide(filename);
    if (index == -2) {
        return -2;
    }
    /* Another thread may have decided the same file while the GIL was
     * released: keep its entry, so a file never has two. */
    known = PyDict_GetItemWithError(decisions, filename);
    if (known != NULL) {
        if (index >= 0) {
            drop_last_file(index);
        }
        return known == Py_None ? CCOV_FILE_UNMEASURED : PyLong_AsSsize_t(known);
    }
    if (PyErr_Occurred()) {
        return -2;
    }
    PyObject *value = index == CCOV_FILE_UNMEASURED ? Py_NewRef(Py_None)
                                                    : PyLong_FromSsize_t(index);
    if (value == NULL || PyDict_SetItem(decisions, filename, value) < 0) {
        Py_XDECREF(value);
        return -2;
    }
    Py_DECREF(value);
    return index;
}

int
ccov_files_record(Py_ssize_t file_index, long line)
{
    FileLines *file = &files[file_index];
    size_t byte = (size_t)line >> 3;
    if (byte >= file->nbytes) {
        /* Grow with headroom so a file's lines cost a handful of reallocs. */
        size_t wanted = byte + 1 + (byte >> 1) + 16;
        uint8_t *bigger = PyMem_Realloc(file->bits, wanted);
        if (bigger == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memset(bigger + file->nbytes, 0, wanted - file->nbytes);
        file->bits = bigger;
        file->nbytes = wanted;
    }
    file->bits[byte] |= (uint8_t)(1u << (line & 7));
    return 0;
}

/* Bytes without the trailing zero bytes, so equal line sets encode equally. */
static PyObject *
trimmed_bitmap(const FileLines *file)
{
    size_t used = file->nbytes;
    while (used > 0 && file->bits[used - 1] == 0) {
        used--;
    }
    return PyBytes_FromStringAndSize((const char *)file->bits, (Py_ssize_t)used);
}

PyObject *
ccov_files_export(void)
{
    PyObject *result = PyDict_New();
    if (result == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nfiles; i++) {
        PyObject *bitmap = trimmed_bitmap(&files[i]);
        if (bitmap == NULL || PyDict_SetItem(result, files[i].filename, bitmap) < 0) {
            Py_XDECREF(bitmap);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(bitmap);
    }
    return result;
}

void
ccov_files_forget_lines(void)
{
    for (Py_ssize_t i = 0; i < nfiles; i++) {
        if (files[i].nbytes) {
            memset(files[i].bits, 0, files[i].nbytes);
        }
    }
}

/* An arc is one int, so a set of them costs no tuples.  Arcs are recorded
 * once per direction (the callbacks disable or mark what they have seen), so
 * a Python set is cheap enough here. */
int
ccov_files_record_arc(Py_ssize_t file_index, long from_line, long to_line)
{
    FileLines *file = &files[file_index];
    if (file->arcs == NULL && (file->arcs = PySet_New(NULL)) == NULL) {
        return -1;
    }
    unsigned long long key = ((unsigned long long)(uint32_t)from_line << 32) | (uint32_t)to_line;
    PyObject *value = PyLong_FromUnsignedLongLong(key);
    int result = value ? PySet_Add(file->arcs, value) : -1;
    Py_XDECREF(value);
    return result;
}

PyObject *
ccov_files_take_arcs(void)
{
    PyObject *result = PyDict_New();
    for (Py_ssize_t i = 0; result != NULL && i < nfiles; i++) {
        if (files[i].arcs == NULL) {
            continue;
        }
        if (PyDict_SetItem(result, files[i].filename, files[i].arcs) < 0) {
            Py_CLEAR(result);
            break;
        }
        Py_CLEAR(files[i].arcs);
    }
    return result;
}

/* The statement map of a file, asked of the branch helper once: a tuple of
 * (line, first line of its statement) pairs.  A file that cannot be read
 * gets none, and its lines stand for themselves (as in coverage.py). */
static void
load_statements(Py_ssize_t file_index)
{
    files[file_index].statements_asked = 1;
    PyObject *filename = Py_NewRef(files[file_index].filename);
    PyObject *pairs = ccov_call_python(ccov_state.branch_helper, filename);
    Py_DECREF(filename);
    /* Only now: the call may have grown (moved) the file table. */
    FileLines *file = &files[file_index];
    if (pairs == NULL || !PyTuple_Check(pairs)) {
        if (pairs == NULL) {
            ccov_report_failure("statement map");
        }
        Py_XDECREF(pairs);
        return;
    }
    long low = LONG_MAX, high = 0;
    Py_ssize_t count = PyTuple_GET_SIZE(pairs);
    for (int pass = 0; pass < 2; pass++) {
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *pair = PyTuple_GET_ITEM(pairs, i);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                continue;
            }
            long line = PyLong_AsLong(PyTuple_GET_ITEM(pair, 0));
            long first = PyLong_AsLong(PyTuple_GET_ITEM(pair, 1));
            if (PyErr_Occurred()) {
                PyErr_Clear();
                continue;
            }
            if (line <= 0 || first <= 0 || line > INT32_MAX || first > INT32_MAX) {
                continue;
            }
            if (pass == 0) {
                low = line < low ? line : low;
                high = line > high ? line : high;
            }
            else {
                file->statement_of[line - file->statements_base] = (int32_t)first;
            }
        }
        if (pass == 0) {
            if (high < low) {
                break;
            }
            file->statements_base = low;
            file->statements_span = high - low + 1;
            file->statement_of = PyMem_Calloc((size_t)file->statements_span, sizeof(int32_t));
            if (file->statement_of == NULL) {
                file->statements_span = 0;
                break;
            }
        }
    }
    Py_DECREF(pairs);
}

long
ccov_files_statement(Py_ssize_t file_index, long line)
{
    if (!files[file_index].statements_asked && ccov_state.branch_helper != NULL) {
        load_statements(file_index);
    }
    FileLines *file = &files[file_index];
    long index = line - file->statements_base;
    if (file->statement_of == NULL || index < 0 || index >= file->statements_span) {
        return line;
    }
    return file->statement_of[index] ? file->statement_of[index] : line;
}
