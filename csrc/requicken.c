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
 * When a code object completes (codestate.c), every function made from it
 * gets an equal code object, new and so quickened, that ccov never
 * instruments.  Which functions: a function watcher notes the functions
 * made from each measured code object (borrowed pointers: a function's
 * destruction, or a change of its __code__, takes it off again); one made
 * after completion gets the copy as it is created.  Frames already running
 * keep the code they started with, and so do functions that existed before
 * measuring began (ccov does not search the heap for them).
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
 * The swap writes func_code and resets func_version, as assigning __code__
 * does, but without its audit event: inside a callback no Python code may
 * run (its lines would be lost with this thread's events suppressed).  Making
 * the copy runs none either: PyUnstable_Code_NewWithPosOnlyArgs is what
 * code.replace() calls, without replace()'s audit event. */
#include "collector.h"

#if PY_VERSION_HEX < 0x030D0000

/* Past this many live functions of one code object (a decorator's wrapper,
 * a closure made in a loop), the others keep the instrumented code: the list
 * is searched whenever one of its functions dies. */
#define MAX_HOLDERS 64

static int watcher_id = -1;
static int making_copy;  /* the code watcher must not measure the copy being made */
static PyObject *get_local_events;

static void
add_holder(CodeState *state, PyObject *func)
{
    if (state->nholders == state->holders_room) {
        int room = state->holders_room ? 2 * state->holders_room : 2;
        PyObject **grown = room <= MAX_HOLDERS
                               ? PyMem_Realloc(state->holders, (size_t)room * sizeof(PyObject *)) : NULL;
        if (grown == NULL) {
            return;  /* not kept: that function keeps the instrumented code */
        }
        state->holders = grown;
        state->holders_room = room;
    }
    state->holders[state->nholders++] = func;
}

static void
remove_holder(CodeState *state, PyObject *func)
{
    for (int i = 0; i < state->nholders; i++) {
        if (state->holders[i] == func) {
            state->holders[i] = state->holders[--state->nholders];
            return;
        }
    }
}

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
        PyObject *events = id ? PyObject_Vectorcall(get_local_events, args, 2, NULL) : NULL;
        Py_XDECREF(id);
        long mask = events ? PyLong_AsLong(events) : -1;
        Py_XDECREF(events);
        if (mask != 0) {
            return mask < 0 && PyErr_Occurred() ? -1 : 1;
        }
    }
    return 0;
}

/* state->copy, made once; 0, 1 when the code is left as it is, or -1 with an exception. */
static int
make_copy(CodeState *state)
{
    if (state->copy != NULL || state->copy_refused) {
        return state->copy_refused;
    }
    int listens = other_tool_listens(state->code);
    if (listens != 0) {
        state->copy_refused = 1;
        return listens;
    }
    PyCodeObject *co = (PyCodeObject *)state->code;
    PyObject *bytecode = PyCode_GetCode(co);  /* with no instrumentation or specialization */
    PyObject *varnames = bytecode ? PyCode_GetVarnames(co) : NULL;
    PyObject *cellvars = varnames ? PyCode_GetCellvars(co) : NULL;
    PyObject *freevars = cellvars ? PyCode_GetFreevars(co) : NULL;
    if (freevars != NULL) {
        making_copy = 1;
        state->copy = (PyObject *)PyUnstable_Code_NewWithPosOnlyArgs(
            co->co_argcount, co->co_posonlyargcount, co->co_kwonlyargcount, co->co_nlocals, co->co_stacksize,
            co->co_flags, bytecode, co->co_consts, co->co_names, varnames, freevars, cellvars, co->co_filename,
            co->co_name, co->co_qualname, co->co_firstlineno, co->co_linetable, co->co_exceptiontable);
        making_copy = 0;
    }
    Py_XDECREF(bytecode);
    Py_XDECREF(varnames);
    Py_XDECREF(cellvars);
    Py_XDECREF(freevars);
    if (state->copy == NULL) {
        return -1;
    }
    ccov_stats.codes_requickened++;
    return 0;
}

/* What assigning __code__ does (funcobject.c, func_set_code), less the
 * audit event and the other watchers' notice: the function's calls are
 * specialized against its version, which must change with its code. */
static void
swap_code(CodeState *state, PyObject *func)
{
    PyFunctionObject *function = (PyFunctionObject *)func;
    if (function->func_code == state->code) {
        Py_SETREF(function->func_code, Py_NewRef(state->copy));
        function->func_version = 0;
    }
}

/* A failure here costs speed, never lines: the function keeps the code it has. */
static void
give_copy(CodeState *state, PyObject *func)
{
    PyObject *pending = PyErr_GetRaisedException();
    int made = make_copy(state);
    if (made == 0) {
        swap_code(state, func);
    }
    PyErr_Clear();
    PyErr_SetRaisedException(pending);
}

void
ccov_requicken_completed(CodeState *state)
{
    state->completed = 1;
    if (state->nholders == 0 || ccov_state.contexts || watcher_id < 0) {
        return;
    }
    PyObject *code = Py_NewRef(state->code);  /* a swap must not free it (and state) under us */
    PyObject *pending = PyErr_GetRaisedException();
    if (make_copy(state) == 0) {
        for (int i = 0; i < state->nholders; i++) {
            swap_code(state, state->holders[i]);
        }
    }
    state->nholders = 0;  /* swapped, or left for good */
    PyErr_Clear();
    PyErr_SetRaisedException(pending);
    Py_DECREF(code);
}

void
ccov_requicken_free(CodeState *state)
{
    PyMem_Free(state->holders);
    Py_XDECREF(state->copy);
}

int
ccov_requicken_making_copy(void)
{
    return making_copy;
}

static int
on_function_event(PyFunction_WatchEvent event, PyFunctionObject *func, PyObject *Py_UNUSED(new_value))
{
    if (!ccov_state.active || ccov_state.contexts) {
        return 0;
    }
    /* Every function the program makes or frees comes here (tens of
     * thousands on a test suite): code without any extra is none of ours.
     * Module and class bodies run once (exec makes a function for them on
     * 3.12, dropped when the body ends): only functions' code is worth a copy. */
    PyCodeObject *code = (PyCodeObject *)func->func_code;
    if (code->co_extra == NULL || !(code->co_flags & CO_OPTIMIZED)) {
        return 0;
    }
    CodeState *state = ccov_codestate_get((PyObject *)code);
    if (state == NULL) {
        return 0;
    }
    if (event == PyFunction_EVENT_CREATE) {
        if (state->completed) {
            give_copy(state, (PyObject *)func);
        }
        else {
            add_holder(state, (PyObject *)func);
        }
    }
    else if (event == PyFunction_EVENT_DESTROY || event == PyFunction_EVENT_MODIFY_CODE) {
        remove_holder(state, (PyObject *)func);
    }
    return 0;
}

void
ccov_requicken_start(void)
{
    if (watcher_id >= 0) {
        return;
    }
    PyObject *monitoring = PySys_GetObject("monitoring");  /* borrowed */
    Py_XSETREF(get_local_events, monitoring ? PyObject_GetAttrString(monitoring, "get_local_events") : NULL);
    watcher_id = get_local_events ? PyFunction_AddWatcher(on_function_event) : -1;
    if (watcher_id < 0) {
        PyErr_Clear();  /* no slot: completed functions keep their code, as before */
    }
}

void
ccov_requicken_stop(void)
{
    if (watcher_id >= 0 && PyFunction_ClearWatcher(watcher_id) < 0) {
        PyErr_Clear();
    }
    watcher_id = -1;
}

#endif
