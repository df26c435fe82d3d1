/* Enabling and removing a code object's local events through
 * sys.monitoring.set_local_events (there is no C API for consumers of events
 * in 3.12/3.13), and reporting the collector's own failures. */
#include "collector.h"

static int
set_local_events(PyObject *code, PyObject *events)
{
    PyObject *args[3] = {ccov_state.tool_id_obj, code, events};
    PyObject *result = PyObject_Vectorcall(ccov_state.set_local_events, args, 3, NULL);
    Py_XDECREF(result);
    return result ? 0 : -1;
}

int
ccov_arm(CodeState *state)
{
    PyObject *events = state->unit_lines ? ccov_state.instruction_event_obj : ccov_state.line_event_obj;
    if (set_local_events(state->code, events) < 0) {
        /* 3.13 shim code objects refuse instrumentation (SystemError): they
         * have no lines of their own, so there is nothing to miss. */
        if (PyErr_ExceptionMatches(PyExc_SystemError) || PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            ccov_stats.codes_uninstrumentable++;
            return 1;
        }
        return -1;
    }
    ccov_codestate_link(state);
    ccov_stats.codes_armed++;
    return 0;
}

int
ccov_disarm(CodeState *state)
{
    ccov_codestate_unlink(state);
    if (set_local_events(state->code, ccov_state.no_events_obj) < 0) {
        /* ValueError: the program freed our tool id.  Before 3.14 its events
         * keep coming (and are recorded); from 3.14 on they are gone.  Either
         * way there is nothing left to remove. */
        if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
            return -1;
        }
        PyErr_Clear();
    }
    return 0;
}

void
ccov_report_failure(const char *where)
{
    ccov_stats.failures++;
    PyObject *exc = PyErr_GetRaisedException();
    if (!ccov_state.error_reported) {
        ccov_state.error_reported = 1;
        PyObject *text = exc ? PyObject_Str(exc) : NULL;
        const char *message = text ? PyUnicode_AsUTF8(text) : NULL;
        PyErr_Clear();
        PySys_FormatStderr("ccov: internal error in %s (%s: %s); that code is not measured, the program goes on\n",
                           where, exc ? Py_TYPE(exc)->tp_name : "?", message ? message : "?");
        Py_XDECREF(text);
    }
    Py_XDECREF(exc);
    PyErr_Clear();
}

/* Frames the Python code the collector calls may need (the file decision,
 * the branch table builder): a few dozen; the rest is margin. */
#define CALL_ROOM 200

/* The collector calls Python code (ccov.measuring.file_selection; on 3.14+ ccov.model.source) from
 * inside sys.monitoring callbacks and the code watcher, at whatever depth the
 * program is.  Two things must not happen there:
 *
 *  - RecursionError: the first call of a function a few frames from the
 *    recursion limit would lose its file decision or its branch table for
 *    the whole run.  The limit is raised for the call (Python frames use no
 *    C stack on 3.12+) and put back after it.
 *  - A garbage collection: it would run finalizers (a generator's `except`
 *    or `finally`, closed by the collector) while this thread's events are
 *    suppressed, so the lines they run would be lost.  The collector is
 *    paused for the call; a collection it held back runs at the program's
 *    next check, where events are on. */
#if PY_VERSION_HEX < 0x030D0000
/* 3.12 runs a collection that was already scheduled even while the collector
 * is disabled (3.13 checks): with the thresholds out of reach, that run finds
 * no generation to collect, and the next allocation after the call schedules
 * it again.  gc's functions are fetched at start: importing inside a
 * callback would run Python code there. */
static PyObject *gc_get_threshold, *gc_set_threshold;

static PyObject *
thresholds_out_of_reach(void)
{
    if (gc_get_threshold == NULL || gc_set_threshold == NULL) {
        return NULL;
    }
    PyObject *saved = PyObject_CallNoArgs(gc_get_threshold);
    PyObject *done = saved ? PyObject_CallFunction(gc_set_threshold, "iii", INT_MAX, INT_MAX, INT_MAX) : NULL;
    if (done == NULL) {
        PyErr_Clear();
        Py_CLEAR(saved);
    }
    Py_XDECREF(done);
    return saved;
}

static void
thresholds_back(PyObject *saved)
{
    if (saved == NULL) {
        return;
    }
    PyObject *done = PyObject_Call(gc_set_threshold, saved, NULL);
    if (done == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(done);
    Py_DECREF(saved);
}
#endif

int
ccov_call_python_init(void)
{
#if PY_VERSION_HEX < 0x030D0000
    PyObject *gc = PyImport_ImportModule("gc");
    if (gc == NULL) {
        return -1;
    }
    Py_XSETREF(gc_get_threshold, PyObject_GetAttrString(gc, "get_threshold"));
    Py_XSETREF(gc_set_threshold, PyObject_GetAttrString(gc, "set_threshold"));
    Py_DECREF(gc);
    return gc_get_threshold && gc_set_threshold ? 0 : -1;
#else
    return 0;
#endif
}

PyObject *
ccov_call_python(PyObject *callable, PyObject *arg)
{
    int limit = Py_GetRecursionLimit();
    Py_SetRecursionLimit(limit + CALL_ROOM);
    int collecting = PyGC_Disable();
#if PY_VERSION_HEX < 0x030D0000
    PyObject *thresholds = collecting ? thresholds_out_of_reach() : NULL;
#endif
    /* `arg` may be borrowed (a callback's code object): the Python code must
     * not be able to free it under the caller. */
    Py_INCREF(arg);
    PyObject *result = PyObject_CallOneArg(callable, arg);
    /* What follows must not lose the call's exception. */
    PyObject *raised = PyErr_GetRaisedException();
    Py_DECREF(arg);
#if PY_VERSION_HEX < 0x030D0000
    thresholds_back(thresholds);
#endif
    if (collecting) {
        PyGC_Enable();
    }
    Py_SetRecursionLimit(limit);
    PyErr_SetRaisedException(raised);
    return result;
}
