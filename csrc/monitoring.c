/* Enabling and removing a code object's local events through
 * sys.monitoring.set_local_events (there is no C API for consumers of events
 * in 3.12/3.13), and reporting the collector's own failures. */
#include "collector.h"

CollectorState ccov_state;

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
    if (set_local_events(state->code, ccov_state.line_event_obj) < 0) {
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
    return set_local_events(state->code, ccov_state.no_events_obj);
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
