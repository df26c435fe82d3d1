/* The line of each code unit, read from co_linetable itself: co_lines() and
 * co_positions() give the same, but build a tuple per range or per unit.
 * The collector reads it for every code object it arms (codestate.c) and
 * for every branch table on 3.12/3.13 (branch_reader_312.c); the format is
 * the same on every supported Python. */
#include "collector.h"

/* Little-endian 6-bit groups, bit 6 set while more follow; -1 past the end. */
static int
location_varint(const uint8_t *table, Py_ssize_t size, Py_ssize_t *position, uint32_t *value)
{
    if (*position >= size) {
        return -1;
    }
    uint32_t byte = table[(*position)++], shift = 0;
    *value = byte & 63;
    while (byte & 64) {
        if (*position >= size || shift >= 24) {
            return -1;
        }
        byte = table[(*position)++];
        shift += 6;
        *value |= (byte & 63) << shift;
    }
    return 0;
}

static int
location_svarint(const uint8_t *table, Py_ssize_t size, Py_ssize_t *position, int32_t *value)
{
    uint32_t raw;
    if (location_varint(table, size, position, &raw) < 0) {
        return -1;
    }
    *value = raw & 1 ? -(int32_t)(raw >> 1) : (int32_t)(raw >> 1);
    return 0;
}

/* An entry's first byte has bit 7 set, its form in bits 3-6 and its length
 * in units - 1 in bits 0-2 (CPython's InternalDocs/locations.md). */
int
ccov_unit_lines(PyObject *code, Py_ssize_t units, int32_t *line_of, int32_t *end_line_of)
{
    for (Py_ssize_t u = 0; u < units; u++) {
        line_of[u] = CCOV_NO_LINE;
        if (end_line_of) {
            end_line_of[u] = 0;
        }
    }
    PyObject *linetable = ((PyCodeObject *)code)->co_linetable;
    const uint8_t *table = (const uint8_t *)PyBytes_AS_STRING(linetable);
    Py_ssize_t size = PyBytes_GET_SIZE(linetable), position = 0, u = 0;
    int64_t line = ((PyCodeObject *)code)->co_firstlineno;
    while (position < size && u < units) {
        uint8_t first = table[position++];
        int form = (first >> 3) & 15, length = (first & 7) + 1, located = 1, bad = !(first & 128);
        int32_t delta = 0;
        uint32_t end_delta = 0, column;
        if (form == 15) {           /* no location */
            located = 0;
        }
        else if (form == 14) {      /* long: line delta, end line delta, columns */
            bad |= location_svarint(table, size, &position, &delta) < 0
                   || location_varint(table, size, &position, &end_delta) < 0
                   || location_varint(table, size, &position, &column) < 0
                   || location_varint(table, size, &position, &column) < 0;
        }
        else if (form == 13) {      /* no columns: line delta */
            bad |= location_svarint(table, size, &position, &delta) < 0;
        }
        else if (form >= 10) {      /* one line, 0 to 2 below the last: two column bytes */
            delta = form - 10;
            position += 2;
        }
        else {                      /* short: the same line, one column byte */
            position += 1;
        }
        line += delta;
        if (bad || position > size || line + end_delta > INT32_MAX || line <= INT32_MIN) {
            PyErr_SetString(PyExc_ValueError, "ccov: malformed line table");
            return -1;
        }
        for (int k = 0; k < length && u < units; k++, u++) {
            line_of[u] = located ? (int32_t)line : CCOV_NO_LINE;
            if (end_line_of) {
                end_line_of[u] = located ? (int32_t)(line + end_delta) : 0;
            }
        }
    }
    return 0;
}
