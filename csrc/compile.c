/* Compiling the script `ccov run` runs, as `python script.py` compiles it.
 *
 * builtins.compile() first asks whether its argument is an ast.AST, and
 * asking makes the interpreter build every type of the ast module: about
 * 2.5 ms on 3.12/3.13 and 1.5 ms on 3.14+, a quarter of what `ccov run`
 * added to an empty script.  `python script.py` never builds them: it
 * parses and compiles the file directly, as Py_CompileStringObject does.
 * Same parser, same compiler, same flags as compile(source, filename,
 * "exec", dont_inherit=True), so the same code object. */
#include "collector.h"

PyObject *
ccov_compile_script(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "compile_script(source: bytes, filename: str)");
        return NULL;
    }
    const char *source = PyBytes_AS_STRING(args[0]);
    if (strlen(source) != (size_t)PyBytes_GET_SIZE(args[0])) {
        /* The C string would end at the first NUL: say what python says of such a file. */
        PyErr_SetString(PyExc_SyntaxError, "source code cannot contain null bytes");
        return NULL;
    }
    /* compile()'s flags; a coding cookie still rules. */
    PyCompilerFlags flags = {.cf_flags = PyCF_SOURCE_IS_UTF8, .cf_feature_version = PY_MINOR_VERSION};
    return Py_CompileStringObject(source, args[1], Py_file_input, &flags, -1);
}
