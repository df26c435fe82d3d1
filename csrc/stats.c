/* Counters of what the collector did, for `CCOV_STATS=1` and `ccov debug`.
 * Plain increments under the GIL: cheap enough to keep always on. */
#include "collector.h"

#define STAT(name) {#name, &ccov_stats.name}

PyObject *
ccov_stats_as_dict(void)
{
    const struct { const char *name; uint64_t *value; } fields[] = {
        STAT(py_start_events), STAT(line_events), STAT(instruction_events),
        STAT(codes_armed), STAT(codes_by_instruction),
        STAT(codes_completed), STAT(codes_uninstrumentable),
        STAT(files_measured), STAT(files_ignored), STAT(failures),
        STAT(branch_events), STAT(jump_events), STAT(branch_tables),
    };
    PyObject *result = PyDict_New();
    for (size_t i = 0; result && i < sizeof(fields) / sizeof(fields[0]); i++) {
        PyObject *value = PyLong_FromUnsignedLongLong(*fields[i].value);
        if (value == NULL || PyDict_SetItemString(result, fields[i].name, value) < 0) {
            Py_XDECREF(value);
            Py_CLEAR(result);
        }
        else {
            Py_DECREF(value);
        }
    }
    return result;
}
