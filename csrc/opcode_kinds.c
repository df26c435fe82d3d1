/* What the collector needs to know of each opcode (the CCOV_OP_* flags of
 * collector.h), from the opcode names of the Python this file is compiled
 * for: an opcode's number changes from one minor version to the next, its
 * name does not, and the extension is built per minor version.
 *
 * The opcode module holds the same tables, but importing it cost 3.6 M
 * instructions of `ccov run`'s start-up on 3.12 (a seventh of all ccov
 * adds); tests/test_collector.py derives the kinds from the opcode module
 * and checks they are these. */

#include "collector.h"

#include "opcode.h"

uint32_t ccov_op_kinds[256];

static void
mark(uint32_t kinds[256], int opcode, uint32_t flag)
{
    if (opcode >= 0 && opcode < 256) {
        kinds[opcode] |= flag;
    }
}

static void
fill_kinds(uint32_t kinds[256])
{
    memset(kinds, 0, 256 * sizeof(uint32_t));
    mark(kinds, RESUME, CCOV_OP_RESUME);
    mark(kinds, CACHE, CCOV_OP_CACHE);
    mark(kinds, EXTENDED_ARG, CCOV_OP_EXTENDED_ARG);

    /* The opcodes with a jump target (opcode.hasjrel before 3.13,
     * _opcode.has_jump since). */
    const int jumps[] = {
        FOR_ITER, JUMP_FORWARD, JUMP_BACKWARD, JUMP_BACKWARD_NO_INTERRUPT, SEND,
        POP_JUMP_IF_FALSE, POP_JUMP_IF_TRUE, POP_JUMP_IF_NONE, POP_JUMP_IF_NOT_NONE,
#if PY_VERSION_HEX >= 0x030E0000
        /* 3.14 counts the end of an `async for` as a jump, and the
         * instrumented forms of these two as well. */
        END_ASYNC_FOR, INSTRUMENTED_FOR_ITER, INSTRUMENTED_END_ASYNC_FOR,
#endif
    };
    for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
        mark(kinds, jumps[i], CCOV_OP_JUMP);
    }

    mark(kinds, JUMP_FORWARD, CCOV_OP_ALWAYS | CCOV_OP_FIRES_JUMP);
    mark(kinds, JUMP_BACKWARD, CCOV_OP_ALWAYS | CCOV_OP_BACKWARD | CCOV_OP_FIRES_JUMP);
    mark(kinds, JUMP_BACKWARD_NO_INTERRUPT, CCOV_OP_ALWAYS | CCOV_OP_BACKWARD);
    mark(kinds, RETURN_VALUE, CCOV_OP_RETURN | CCOV_OP_PY_RETURN | CCOV_OP_FUNCTION_RETURN);
    mark(kinds, RETURN_GENERATOR, CCOV_OP_RETURN);
    mark(kinds, RERAISE, CCOV_OP_NO_FALL_THROUGH);
    mark(kinds, RAISE_VARARGS, CCOV_OP_RAISE | CCOV_OP_NO_FALL_THROUGH);
    mark(kinds, END_ASYNC_FOR, CCOV_OP_ASYNC_FOR_END);

    mark(kinds, POP_JUMP_IF_FALSE, CCOV_OP_CONDITIONAL);
    mark(kinds, POP_JUMP_IF_TRUE, CCOV_OP_CONDITIONAL);
    mark(kinds, POP_JUMP_IF_NONE, CCOV_OP_CONDITIONAL);
    mark(kinds, POP_JUMP_IF_NOT_NONE, CCOV_OP_CONDITIONAL);
    mark(kinds, FOR_ITER, CCOV_OP_CONDITIONAL | CCOV_OP_FOR_ITER);
    mark(kinds, SEND, CCOV_OP_SEND);
    mark(kinds, LOAD_CONST, CCOV_OP_LOAD_CONST);
    mark(kinds, CALL, CCOV_OP_CALL);
    mark(kinds, END_FOR, CCOV_OP_LOOP_EXIT_SKIP);
    mark(kinds, POP_TOP, CCOV_OP_LOOP_EXIT_SKIP);
#ifdef RETURN_CONST /* gone in 3.14 */
    mark(kinds, RETURN_CONST, CCOV_OP_FUNCTION_RETURN);
#endif
}

void
ccov_op_kinds_init(void)
{
    fill_kinds(ccov_op_kinds);
}

Py_ssize_t
ccov_next_instruction(const uint8_t *raw, Py_ssize_t units, Py_ssize_t unit)
{
    Py_ssize_t next = unit + 1;
    while (next < units && (ccov_op_kinds[raw[2 * next]] & CCOV_OP_CACHE)) {
        next++;
    }
    return next;
}

PyObject *
ccov_opcode_kinds(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    uint8_t raw[1024];
    for (int op = 0; op < 256; op++) {
        for (int byte = 0; byte < 4; byte++) {
            raw[4 * op + byte] = (uint8_t)(ccov_op_kinds[op] >> (8 * byte));
        }
    }
    return PyBytes_FromStringAndSize((const char *)raw, sizeof(raw));
}
