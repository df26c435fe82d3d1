/* 3.12 only: a function whose code has completed runs a fresh, quickened
 * copy of it.
 *
 * On 3.12, instrumenting a code object replaces its quickened
 * superinstructions (LOAD_FAST__LOAD_FAST, STORE_FAST__LOAD_FAST, ...) with
 * plain instructions, and removing the events again does not bring them
 * back: only quickening, when a code object is created, makes them.  So a
 * measured function stayed slower for the rest of the run after all its
 * lines had run and ccov had removed its events: +4 to +5% of the
 * instructions of an n-body loop (docs/performance.md).  3.13's
 * superinstructions come from the compiler and survive; nothing is done
 * there.
 *
 * When a code object completes (codestate.c), the function that holds it
 * gets an equal code object, new and so quickened, that ccov never
 * instruments.  The function is found by the code's qualified name in the
 * globals of the frame running it, which is the frame the completing event
 * came from: a module's function, or a class's method (through staticmethod
 * or classmethod).  That is where hot loops live.  A closure ("<locals>" in
 * its name) or a function only some other object holds keeps its code; so
 * do frames already running.  (A function watcher would find those too, but
 * it is called for every function the program makes and frees: on toolz's
 * suite that cost about 0.25% of all instructions, more than the copies
 * gave back there.)
 *
 * Left as it is:
 *  - in a session that may switch contexts (start()'s copy_completed: the
 *    API's, and the plugin's with per-test contexts): completed code is armed
 *    again for the next context (codestate.c, ccov_codestate_rearm_ran);
 *  - when another tool has local events on the code object: they would not
 *    follow the copy;
 *  - without the code watcher: the PY_START fallback would measure the copy
 *    as new code.
 *
 * No Python code may run inside a callback (its lines would be lost with
 * this thread's events suppressed), so: the function is looked up in the
 * dictionaries themselves, never through getattr; the copy is made with
 * PyUnstable_Code_NewWithPosOnlyArgs, which code.replace() calls, without
 * replace()'s audit event; and the swap writes func_code and resets
 * func_version, as assigning __code__ does, without its audit event. */
#include "collector.h"

#if PY_VERSION_HEX < 0x030D0000

static int copying;      /* this session makes copies */
static int making_copy;  /* the code watcher must not measure the copy being made */

/* Whether a tool other than ccov has local events on the code object;
 * -1 with an exception when that cannot be told. */
static int
other_tool_listens(PyObject *code)
{
    for (int tool = 0; tool < 6; tool++) {  /* the ids sys.monitoring hands out */
        if (tool == ccov_state.tool_id) {
            continue;
        }
        PyObject *id = PyLong_FromLong(tool);
        PyObject *args[2] = {id, code};
        PyObject *events = id ? PyObject_Vectorcall(ccov_state.get_local_events, args, 2, NULL) : NULL;
        Py_XDECREF(id);
        long mask = events ? PyLong_AsLong(events) : -1;
        Py_XDECREF(events);
        if (mask != 0) {
            return mask < 0 && PyErr_Occurred() ? -1 : 1;
        }
    }
    return 0;
}

/* A new reference to `name` in a module's globals or a class's own
 * dictionary; NULL (maybe with an exception) when it is not there. */
static PyObject *
member(PyObject *holder, PyObject *name, int is_globals)
{
    if (is_globals) {
        return Py_XNewRef(PyDict_GetItemWithError(holder, name));
    }
    if (!PyType_Check(holder)) {
        return NULL;
    }
    PyObject *dict = PyType_GetDict((PyTypeObject *)holder);
    PyObject *found = dict ? Py_XNewRef(PyDict_GetItemWithError(dict, name)) : NULL;
    Py_XDECREF(dict);
    return found;
}

/* The function holding `code` under its qualified name in `globals`, as a
 * new reference; NULL (maybe with an exception) when there is none. */
static PyObject *
find_function(PyObject *globals, PyCodeObject *code)
{
    PyObject *dot = PyUnicode_FromString(".");
    PyObject *parts = dot ? PyUnicode_Split(code->co_qualname, dot, -1) : NULL;
    Py_XDECREF(dot);
    if (parts == NULL) {
        return NULL;
    }
    PyObject *found = Py_NewRef(globals);
    for (Py_ssize_t i = 0; found != NULL && i < PyList_GET_SIZE(parts); i++) {
        Py_SETREF(found, member(found, PyList_GET_ITEM(parts, i), i == 0));
    }
    Py_DECREF(parts);
    if (found != NULL && (Py_IS_TYPE(found, &PyStaticMethod_Type) || Py_IS_TYPE(found, &PyClassMethod_Type))) {
        /* __func__ is a plain member of these two types: no Python code. */
        Py_SETREF(found, PyObject_GetAttrString(found, "__func__"));
    }
    if (found != NULL && !(PyFunction_Check(found) && PyFunction_GET_CODE(found) == (PyObject *)code)) {
        Py_CLEAR(found);
    }
    return found;
}

/* An equal, new code object: quickened as it is created, never measured. */
static PyObject *
make_copy(PyCodeObject *co)
{
    PyObject *bytecode = PyCode_GetCode(co);  /* with no instrumentation or specialization */
    PyObject *varnames = bytecode ? PyCode_GetVarnames(co) : NULL;
    PyObject *cellvars = varnames ? PyCode_GetCellvars(co) : NULL;
    PyObject *freevars = cellvars ? PyCode_GetFreevars(co) : NULL;
    PyObject *copy = NULL;
    if (freevars != NULL) {
        making_copy = 1;
        copy = (PyObject *)PyUnstable_Code_NewWithPosOnlyArgs(
            co->co_argcount, co->co_posonlyargcount, co->co_kwonlyargcount, co->co_nlocals, co->co_stacksize,
            co->co_flags, bytecode, co->co_consts, co->co_names, varnames, freevars, cellvars, co->co_filename,
            co->co_name, co->co_qualname, co->co_firstlineno, co->co_linetable, co->co_exceptiontable);
        making_copy = 0;
    }
    Py_XDECREF(bytecode);
    Py_XDECREF(varnames);
    Py_XDECREF(cellvars);
    Py_XDECREF(freevars);
    return copy;
}

/* What assigning __code__ does (funcobject.c, func_set_code), less the
 * audit event and the function watchers' notice: calls are specialized
 * against the function's version, which must change with its code. */
static void
swap_code(PyObject *func, PyObject *copy)
{
    PyFunctionObject *function = (PyFunctionObject *)func;
    Py_SETREF(function->func_code, Py_NewRef(copy));
    function->func_version = 0;
}

/* A failure here costs speed, never lines: the function keeps its code. */
void
ccov_requicken_completed(CodeState *state)
{
    PyCodeObject *code = (PyCodeObject *)state->code;
    if (!copying || !(code->co_flags & CO_OPTIMIZED)) {
        return;  /* module and class bodies run once */
    }
    PyObject *globals = PyEval_GetGlobals();  /* borrowed: the frame running this code */
    if (globals == NULL || !PyDict_Check(globals)) {
        return;
    }
    PyObject *pending = PyErr_GetRaisedException();
    PyObject *func = find_function(globals, code);
    PyObject *copy = func && other_tool_listens(state->code) == 0 ? make_copy(code) : NULL;
    if (copy != NULL) {
        swap_code(func, copy);  /* the running frame keeps the code alive, and state with it */
        ccov_stats.codes_requickened++;
    }
    Py_XDECREF(copy);
    Py_XDECREF(func);
    PyErr_Clear();
    PyErr_SetRaisedException(pending);
}

int
ccov_requicken_making_copy(void)
{
    return making_copy;
}

void
ccov_requicken_start(void)
{
    copying = 1;
}

void
ccov_requicken_stop(void)
{
    copying = 0;
}

#endif
