/* Code that exists when measuring starts.
 *
 * The code watcher sees code as it is created; code created before start()
 * gets no PY_START either (the watcher is why no global event is needed).
 * Such code is found once, at start, from the objects that can run it:
 * every function (whoever holds it: a module's name, a closure, a cache, a
 * default argument, a registry) and every generator, coroutine and async
 * generator, found by walking the objects the cyclic garbage collector
 * tracks.  Each one's code, and the code nested in it (functions not made
 * yet, lambdas, comprehensions), is armed when its file is measured.
 *
 * The walk only collects: while the collector's lists are walked, nothing
 * may be allocated or freed (PyUnstable_GC_VisitObjects), so the file
 * decisions, which may call Python, come after it.  The walk touches every
 * tracked object (about 2 ms per 50,000, mostly memory latency), so start()
 * asks for it only once a module of a measured file was imported
 * (collector.py).  Code objects themselves are not tracked by the garbage
 * collector: one held by nothing that can run it (a compile() result kept
 * in a variable) is not found. */
#include "collector.h"

typedef struct {
    PyObject **items;  /* strong references */
    Py_ssize_t count, capacity;
    int out_of_memory;
} Found;

static int
keep(Found *found, PyObject *object)
{
    if (found->count == found->capacity) {
        Py_ssize_t grown = found->capacity ? found->capacity * 2 : 1024;
        /* The raw allocator: it never touches Python's objects. */
        PyObject **bigger = PyMem_RawRealloc(found->items, (size_t)grown * sizeof(PyObject *));
        if (bigger == NULL) {
            found->out_of_memory = 1;
            return 0;  /* stop the walk */
        }
        found->items = bigger;
        found->capacity = grown;
    }
    found->items[found->count++] = Py_NewRef(object);
    return 1;
}

/* Called for each object the garbage collector tracks: keep the code of a
 * function, or the generator itself (its code is read after the walk). */
static int
visit(PyObject *object, void *arg)
{
    PyTypeObject *type = Py_TYPE(object);
    if (type == &PyFunction_Type) {
        return keep(arg, PyFunction_GET_CODE(object));
    }
    if (type == &PyGen_Type || type == &PyCoro_Type || type == &PyAsyncGen_Type) {
        return keep(arg, object);
    }
    return 1;
}

/* The code a generator, coroutine or async generator runs, as a new
 * reference; NULL (no exception) when it has none. */
static PyObject *
generator_code(PyObject *generator)
{
    PyTypeObject *type = Py_TYPE(generator);
    const char *name = type == &PyGen_Type ? "gi_code" : type == &PyCoro_Type ? "cr_code" : "ag_code";
    PyObject *code = PyObject_GetAttrString(generator, name);
    if (code == NULL || !PyCode_Check(code)) {
        PyErr_Clear();
        Py_CLEAR(code);
    }
    return code;
}

static int
by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(PyObject *const *)a, y = (uintptr_t)*(PyObject *const *)b;
    return (x > y) - (x < y);
}

/* Arm a code object of a measured file and the code nested in it. */
static int
track_tree(PyObject *code)
{
    if (ccov_track_running_code(code, 0) < 0) {
        return -1;
    }
    PyObject *consts = ((PyCodeObject *)code)->co_consts;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); i++) {
        PyObject *item = PyTuple_GET_ITEM(consts, i);
        if (PyCode_Check(item) && track_tree(item) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Keep, in place, the code objects of measured files among found's items
 * (generators are replaced by their code); 0, or -1 with an exception. */
static int
keep_measured(Found *found)
{
    Py_ssize_t kept = 0;
    PyObject *unmeasured = NULL;  /* the last file name decided unmeasured: most neighbours share it */
    int result = 0;
    for (Py_ssize_t i = 0; i < found->count; i++) {
        PyObject *code = found->items[i];
        found->items[i] = NULL;
        if (!PyCode_Check(code)) {
            Py_SETREF(code, generator_code(code));
        }
        PyObject *filename = code ? ((PyCodeObject *)code)->co_filename : NULL;
        Py_ssize_t file_index = CCOV_FILE_UNMEASURED;
        if (result == 0 && filename != NULL && filename != unmeasured) {
            file_index = ccov_files_lookup(filename);
            result = file_index == -2 ? -1 : 0;
            unmeasured = file_index == CCOV_FILE_UNMEASURED ? filename : unmeasured;
        }
        if (result == 0 && file_index >= 0) {
            found->items[kept++] = code;
        }
        else {
            Py_XDECREF(code);
        }
    }
    found->count = kept;
    return result;
}

int
ccov_track_existing(void)
{
    Found found = {0};
    PyUnstable_GC_VisitObjects(visit, &found);
    int result = found.out_of_memory ? (PyErr_NoMemory(), -1) : keep_measured(&found);
    /* Many functions share a code object (every closure made by one def). */
    qsort(found.items, (size_t)found.count, sizeof(PyObject *), by_address);
    for (Py_ssize_t i = 0; result == 0 && i < found.count; i++) {
        if (i == 0 || found.items[i] != found.items[i - 1]) {
            result = track_tree(found.items[i]);
        }
    }
    for (Py_ssize_t i = 0; i < found.count; i++) {
        Py_DECREF(found.items[i]);
    }
    PyMem_RawFree(found.items);
    return result;
}
