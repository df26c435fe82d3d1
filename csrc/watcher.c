/* Finding measured code without any global event: a code watcher sees every
 * code object as it is created (compile, exec, unmarshalling a .pyc) and
 * arms LINE on the measured ones only.
 *
 * Why not PY_START, enabled globally, with DISABLE?  Every code object the
 * program runs would then be instrumented once, measured or not: on a test
 * suite that is thousands of pytest and library functions, and on 3.12
 * instrumenting a code object also drops its quickened superinstructions for
 * good (LOAD_FAST__LOAD_FAST and friends; measured with callgrind: +3% on
 * fannkuch with a PY_START callback that does nothing).  With the watcher,
 * unmeasured code runs exactly as without ccov.  PY_START stays the fallback
 * when no watcher slot is free. */
#include "collector.h"

static int watcher_id = -1;

static int
on_code_event(PyCodeEvent event, PyCodeObject *code)
{
    if (event != PY_CODE_EVENT_CREATE || !ccov_state.active) {
        return 0;
    }
    /* A watcher may be called with an exception pending: keep it as it was. */
    PyObject *pending = PyErr_GetRaisedException();
    if (ccov_track_code((PyObject *)code, 0) < 0) {
        ccov_report_failure("code watcher");
    }
    PyErr_SetRaisedException(pending);
    return 0;
}

int
ccov_watcher_start(void)
{
    if (watcher_id < 0) {
        watcher_id = PyCode_AddWatcher(on_code_event);
        if (watcher_id < 0) {
            PyErr_Clear();
            return -1;
        }
    }
    return 0;
}

void
ccov_watcher_stop(void)
{
    if (watcher_id >= 0) {
        if (PyCode_ClearWatcher(watcher_id) < 0) {
            PyErr_Clear();
        }
        watcher_id = -1;
    }
}
