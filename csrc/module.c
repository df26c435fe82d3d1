/* ccov._collector: the Python face of the collector.
 *
 * Python (ccov.measuring.collector) owns the tool id and the registration of the
 * callbacks; this module owns what happens on every event. */
#include "collector.h"

/* The local events an armed code object gets; `lines` names the event that
 * reports its lines: LINE, or INSTRUCTION (see codestate.c). */
static PyObject *
armed_events(PyObject *events, const char *lines)
{
    const char *names[5] = {lines, NULL, NULL, NULL, NULL};
    /* INSTRUCTION goes alone: it needs neither PY_START nor PY_RETURN (both
     * make up for LINE events CPython skips), and with another event armed
     * beside it, the code's INSTRUCTION events stop coming, for good and on
     * every supported Python, once sys.settrace or sys.setprofile is turned
     * on, or another tool enables PY_START, before it ran: its lines were
     * lost (tests/test_robustness.py). */
    if (strcmp(lines, "LINE") == 0) {
        /* PY_START: on 3.13.0 a statement on its function's `def` line
         * reports no LINE event unless PY_START is enabled for the code
         * object (gh-155992).  PY_START fires once, then is disabled. */
        names[1] = "PY_START";
#if PY_VERSION_HEX >= 0x030E0000
        /* PY_RETURN in line mode too: 3.14 fires no LINE event for a return
         * block the compiler duplicated after a loop (see branches_314.c). */
        names[2] = "PY_RETURN";
        if (ccov_state.branches) {
            names[3] = "BRANCH_LEFT";
            names[4] = "BRANCH_RIGHT";
        }
#else
        if (ccov_state.branches) {
            names[2] = "BRANCH";
            names[3] = "PY_RETURN";
            names[4] = "JUMP";  /* each jump location fires once (branches_312.c) */
        }
#endif
    }
    long mask = 0;
    for (int i = 0; i < 5 && names[i] != NULL; i++) {
        PyObject *value = PyObject_GetAttrString(events, names[i]);
        long bit = value ? PyLong_AsLong(value) : -1;
        Py_XDECREF(value);
        if (bit == -1 && PyErr_Occurred()) {
            return NULL;
        }
        mask |= bit;
    }
    return PyLong_FromLong(mask);
}

static int
fetch_monitoring_objects(void)
{
    PyObject *monitoring = PySys_GetObject("monitoring");  /* borrowed */
    if (monitoring == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ccov: sys.monitoring is missing (Python 3.12+ is needed)");
        return -1;
    }
    PyObject *events = PyObject_GetAttrString(monitoring, "events");
    Py_XSETREF(ccov_state.set_local_events, PyObject_GetAttrString(monitoring, "set_local_events"));
    Py_XSETREF(ccov_state.line_event_obj, events ? armed_events(events, "LINE") : NULL);
    Py_XSETREF(ccov_state.instruction_event_obj, events ? armed_events(events, "INSTRUCTION") : NULL);
    Py_XDECREF(events);
    return (ccov_state.set_local_events
            && ccov_state.line_event_obj && ccov_state.instruction_event_obj) ? 0 : -1;
}

PyDoc_STRVAR(start_doc,
"start(tool_id, decide, watch, branch_helper=None, one_context=False) -> bool\n\n"
"Begin a session: `decide(filename) -> bool` is called once per file name.\n"
"With `branch_helper`, branches are measured too: on 3.12/3.13 it is\n"
"branch_table, on 3.14+ ccov.model.source.statement_map(filename).\n"
"With `watch`, measured code is found by a code watcher as it is created;\n"
"returns whether that is so (False: enable PY_START globally instead).\n"
"With `one_context` (a session that never switches contexts), code whose\n"
"jumps land on their own line is measured by instruction (codestate.c).");

static PyObject *
collector_start(PyObject *Py_UNUSED(module), PyObject *args)
{
    int tool_id, watch, one_context = 0;
    PyObject *decide, *branch_helper = Py_None;
    if (!PyArg_ParseTuple(args, "iOp|Op:start", &tool_id, &decide, &watch, &branch_helper, &one_context)) {
        return NULL;
    }
    if (ccov_state.active) {
        PyErr_SetString(PyExc_RuntimeError, "ccov: the collector is already running");
        return NULL;
    }
    ccov_state.branches = branch_helper != Py_None;
    if (ccov_codestate_init() < 0 || ccov_files_init() < 0 || fetch_monitoring_objects() < 0
        || ccov_call_python_init() < 0) {
        return NULL;
    }
    Py_XSETREF(ccov_state.decide, Py_NewRef(decide));
    Py_XSETREF(ccov_state.branch_helper, ccov_state.branches ? Py_NewRef(branch_helper) : NULL);
    Py_XSETREF(ccov_state.tool_id_obj, PyLong_FromLong(tool_id));
    Py_XSETREF(ccov_state.no_events_obj, PyLong_FromLong(0));
    if (ccov_state.tool_id_obj == NULL || ccov_state.no_events_obj == NULL) {
        return NULL;
    }
    memset(&ccov_stats, 0, sizeof(ccov_stats));
    ccov_state.tool_id = tool_id;
    ccov_state.error_reported = 0;
    ccov_state.contexts = 0;
    ccov_state.session++;
    ccov_state.active = 1;
    int watching = watch && ccov_watcher_start() == 0;
    ccov_state.watching = watching;
    ccov_state.one_context = one_context;
    return PyBool_FromLong(watching);
}

#if PY_VERSION_HEX < 0x030E0000
PyDoc_STRVAR(branch_table_doc,
"branch_table(code) -> (directions, implied, returns, steps)\n\n"
"What the branches of a code object mean as line arcs (3.12/3.13), read from\n"
"its bytecode as tests/branch_reference.py reads it.  The\n"
"collector asks for it once per measured code object.");

static PyObject *
collector_branch_table(PyObject *Py_UNUSED(module), PyObject *code)
{
    return ccov_read_branch_table(code);
}
#endif

PyDoc_STRVAR(track_running_doc,
"track_running(code)\n\nMeasure the code of a frame running at start(), which resumes inside a line.");

/* A failure is reported, not raised. */
static PyObject *
collector_track_running(PyObject *Py_UNUSED(module), PyObject *code)
{
    if (ccov_state.active && ccov_track_running_code(code, 1) < 0) {
        ccov_report_failure("start");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(track_existing_doc,
"track_existing()\n\n"
"Measure the code of every function and generator that exists now, however\n"
"it is held (existing.c); a failure is reported, not raised.");

static PyObject *
collector_track_existing(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    if (ccov_state.active && ccov_track_existing() < 0) {
        ccov_report_failure("start");
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(measured_doc,
"measured(filename) -> bool\n\nThe (cached) file decision, as the callbacks see it.");

static PyObject *
collector_measured(PyObject *Py_UNUSED(module), PyObject *filename)
{
    if (!ccov_state.active || !PyUnicode_Check(filename)) {
        Py_RETURN_FALSE;
    }
    Py_ssize_t index = ccov_files_lookup(filename);
    if (index == -2) {
        ccov_report_failure("file decision");
        Py_RETURN_FALSE;
    }
    return PyBool_FromLong(index >= 0);
}

PyDoc_STRVAR(stop_doc,
"stop()\n\nRemove the local events of every code object still armed; idempotent.");

static PyObject *
collector_stop(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ccov_state.active = 0;
    ccov_state.contexts = 0;
    ccov_codestate_forget_ran();
    ccov_watcher_stop();
    CodeState *state;
    while ((state = ccov_codestate_first_armed()) != NULL) {
        if (ccov_disarm(state) < 0) {
            /* A code object that cannot be disarmed any more (interpreter
             * shutting down) must not stop the others from being released. */
            PyErr_Clear();
        }
    }
    Py_CLEAR(ccov_state.decide);
    Py_CLEAR(ccov_state.branch_helper);
    Py_RETURN_NONE;
}

static PyObject *
collector_lines(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return ccov_files_export();
}

PyDoc_STRVAR(record_contexts_doc,
"record_contexts(on)\n\nKeep track of the code that runs, so switch_context() can re-arm it.");

static PyObject *
collector_record_contexts(PyObject *Py_UNUSED(module), PyObject *on)
{
    int flag = PyObject_IsTrue(on);
    if (flag < 0) {
        return NULL;
    }
    if (flag && !ccov_state.contexts) {
        ccov_codestate_all_ran();
    }
    ccov_state.contexts = flag;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(switch_context_doc,
"switch_context(by_restart=False) -> {filename: bitmap}\n\n"
"The lines recorded since the last switch; then forget them and re-arm the\n"
"code that ran, so each line reports again, once, in the next context.\n"
"by_restart leaves armed code to the caller's restart_events() (measured\n"
"against the per-code re-arm in bench/: see the README).");

static PyObject *
collector_switch_context(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    int by_restart = nargs > 0 ? PyObject_IsTrue(args[0]) : 0;
    if (by_restart < 0) {
        return NULL;
    }
    PyObject *lines = ccov_files_export();
    if (lines == NULL) {
        return NULL;
    }
    ccov_files_forget_lines();
    if (ccov_state.active && ccov_codestate_rearm_ran(by_restart) < 0) {
        /* A code object that cannot be re-armed reports nothing more: say so
         * once; what was recorded is still returned. */
        ccov_report_failure("switch_context");
    }
    return lines;
}

PyDoc_STRVAR(take_arcs_doc,
"take_arcs() -> {filename: set of int}\n\n"
"The arcs recorded since the last call, each (from_line << 32) | (to_line & 0xffffffff);\n"
"then forget them (a context switch takes them first).");

static PyObject *
collector_take_arcs(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return ccov_files_take_arcs();
}

static PyObject *
collector_stats(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return ccov_stats_as_dict();
}

static PyMethodDef collector_methods[] = {
    {"start", collector_start, METH_VARARGS, start_doc},
    {"track_running", collector_track_running, METH_O, track_running_doc},
    {"track_existing", collector_track_existing, METH_NOARGS, track_existing_doc},
    {"measured", collector_measured, METH_O, measured_doc},
    {"stop", collector_stop, METH_NOARGS, stop_doc},
    {"lines", collector_lines, METH_NOARGS,
     "lines() -> {filename: bitmap bytes}: the executed lines of each measured file."},
    {"stats", collector_stats, METH_NOARGS, "stats() -> dict of event counters."},
    {"record_contexts", collector_record_contexts, METH_O, record_contexts_doc},
    {"switch_context", (PyCFunction)(void (*)(void))collector_switch_context, METH_FASTCALL, switch_context_doc},
    {"on_py_start", (PyCFunction)(void (*)(void))ccov_on_py_start, METH_FASTCALL,
     "PY_START callback."},
    {"on_line", (PyCFunction)(void (*)(void))ccov_on_line, METH_FASTCALL, "LINE callback."},
    {"on_instruction", (PyCFunction)(void (*)(void))ccov_on_instruction, METH_FASTCALL,
     "INSTRUCTION callback (line mode, code whose lines CPython looks up slowly)."},
    {"on_branch", (PyCFunction)(void (*)(void))ccov_on_branch, METH_FASTCALL,
     "BRANCH callback (3.12/3.13); BRANCH_LEFT and BRANCH_RIGHT callback (3.14+)."},
    {"on_return", (PyCFunction)(void (*)(void))ccov_on_return, METH_FASTCALL,
     "PY_RETURN callback (3.12/3.13: branch mode; 3.14+: both modes)."},
#if PY_VERSION_HEX < 0x030E0000
    {"on_jump", (PyCFunction)(void (*)(void))ccov_on_jump, METH_FASTCALL, "JUMP callback (3.12/3.13: branch mode)."},
#endif
    {"on_unwind", (PyCFunction)(void (*)(void))ccov_on_unwind, METH_FASTCALL,
     "PY_UNWIND callback (3.12/3.13 branch mode)."},
    {"take_arcs", collector_take_arcs, METH_NOARGS, take_arcs_doc},
    {"compile_script", (PyCFunction)(void (*)(void))ccov_compile_script, METH_FASTCALL,
     "compile_script(source: bytes, filename: str) -> code\n\n"
     "compile(source, filename, 'exec', dont_inherit=True), without building the\n"
     "ast module's types as compile() does (see compile.c)."},
#if PY_VERSION_HEX < 0x030E0000
    {"branch_table", collector_branch_table, METH_O, branch_table_doc},
#endif
    {"opcode_kinds", ccov_opcode_kinds, METH_NOARGS,
     "opcode_kinds() -> bytes\n\n"
     "What each opcode of this Python is to the collector: 256 little-endian\n"
     "uint32 of CCOV_OP_* flags (csrc/opcode_kinds.c), for tests/test_collector.py."},
    {"multiline_statements", ccov_multiline_statements, METH_O,
     "multiline_statements(text: str) -> tuple | None\n\n"
     "((line, first line of its statement), ...) for the lines of multi-line\n"
     "statements, or None where the text cannot be followed (see statements.c)."},
    {"guard_sigterm", ccov_guard_sigterm, METH_NOARGS,
     "guard_sigterm() -> bool\n\nWrap the Python-level SIGTERM handler just installed so the signal is\n"
     "sent again until the handler starts (see sigterm.c); whether it is wrapped."},
    {"sigterm_started", ccov_sigterm_started, METH_NOARGS, "The Python-level SIGTERM handler began: stop re-sending."},
    {"sigterm_after_fork", ccov_sigterm_after_fork, METH_NOARGS, "In a forked child: make its own re-send timer."},
    {NULL, NULL, 0, NULL},
};

/* Multi-phase initialisation, to say two things the interpreter asks:
 *  - the collector's state is process-wide (csrc/collector.h): one
 *    interpreter per process only;
 *  - it relies on the GIL (see "Threads" in collector.h): a free-threaded
 *    build keeps the GIL enabled while it is imported.  Nothing here can run a
 *    free-threaded build, so no support for one is claimed. */
static PyModuleDef_Slot collector_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef collector_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ccov._collector",
    .m_doc = "The ccov collector: C callbacks for sys.monitoring.",
    .m_size = 0,
    .m_methods = collector_methods,
    .m_slots = collector_slots,
};

PyMODINIT_FUNC
PyInit__collector(void)
{
    ccov_op_kinds_init();
    /* DISABLE, which every callback returns, from the start: a callback
     * registered by the program before any start() must not crash it. */
    PyObject *monitoring = PySys_GetObject("monitoring");  /* borrowed */
    if (monitoring == NULL) {
        PyErr_SetString(PyExc_ImportError, "ccov: sys.monitoring is missing (Python 3.12+ is needed)");
        return NULL;
    }
    Py_XSETREF(ccov_state.disable, PyObject_GetAttrString(monitoring, "DISABLE"));
    if (ccov_state.disable == NULL) {
        return NULL;
    }
    return PyModuleDef_Init(&collector_module);
}
