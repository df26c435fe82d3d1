/* The two sys.monitoring callbacks: the only code on the measured program's
 * hot path.  Both always return DISABLE, so each (code object, location)
 * costs one call, and neither ever leaves an exception set: a failure is
 * reported once and the program carries on unmeasured. */
#include "collector.h"

/* Decide whether a code object is measured and, if so, enable its LINE
 * events.  Shared by the PY_START callback and by start() for frames that
 * were already running. */
int
ccov_track_code(PyObject *code, int mid_line)
{
    if (!PyCode_Check(code)) {
        return 0;
    }
    Py_ssize_t file_index = ccov_files_lookup(((PyCodeObject *)code)->co_filename);
    if (file_index == -2) {
        return -1;
    }
    if (file_index == CCOV_FILE_UNMEASURED || ccov_codestate_get(code) != NULL) {
        return 0;
    }
    CodeState *state = ccov_codestate_create(code, file_index, mid_line);
    if (state == NULL) {
        return -1;
    }
    return state->pending > 0 ? (ccov_arm(state) < 0 ? -1 : 0) : 0;
}

/* Code about to run (PY_START), or running already (start()): measure it and,
 * in branch mode, read its branches now, before its first LINE event. */
int
ccov_track_running_code(PyObject *code, int mid_line)
{
    if (ccov_track_code(code, mid_line) < 0) {
        return -1;
    }
    CodeState *state = ccov_state.branches ? ccov_codestate_get(code) : NULL;
    return state ? ccov_branches_attach(state) : 0;
}

PyObject *
ccov_on_py_start(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    ccov_stats.py_start_events++;
    if (ccov_state.active && nargs >= 1 && ccov_track_running_code(args[0], 0) < 0) {
        ccov_report_failure("PY_START");
    }
    return Py_NewRef(ccov_state.disable);
}

static void
record_line(CodeState *state, long line, const char *where)
{
    if (ccov_state.contexts) {
        ccov_codestate_ran(state);
    }
    if (line > 0 && (ccov_files_record(state->file_index, line) < 0 || ccov_branches_line(state, line) < 0)) {
        ccov_report_failure(where);
    }
    else if (line == -1 && PyErr_Occurred()) {
        ccov_report_failure(where);
    }
    else if (ccov_codestate_see(state, line)) {
        ccov_codestate_done(state, where);
    }
}

PyObject *
ccov_on_line(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    ccov_stats.line_events++;
    CodeState *state = nargs >= 2 ? ccov_codestate_get(args[0]) : NULL;
    if (state != NULL) {
        record_line(state, PyLong_AsLong(args[1]), "LINE");
    }
    return Py_NewRef(ccov_state.disable);
}

/* Code that codestate.c measures by instruction: the instruction's line is
 * looked up in the state's table (its offset is in bytes). */
PyObject *
ccov_on_instruction(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    ccov_stats.instruction_events++;
    CodeState *state = nargs >= 2 ? ccov_codestate_get(args[0]) : NULL;
    if (state != NULL && state->unit_lines != NULL) {
        Py_ssize_t offset = PyLong_AsSsize_t(args[1]);
        if (offset == -1 && PyErr_Occurred()) {
            ccov_report_failure("INSTRUCTION");
        }
        else if (offset >= 0 && offset / 2 < state->units && state->unit_lines[offset / 2] > 0) {
            record_line(state, state->unit_lines[offset / 2], "INSTRUCTION");
        }
    }
    return Py_NewRef(ccov_state.disable);
}
