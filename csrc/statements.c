/* Which lines of a source file belong to one multi-line statement, for the
 * 3.14+ branch collector (branches_314.c resolves a branch to the next
 * *statement*, as coverage.py does).
 *
 * ccov.model.source.multiline_map reads this from the tokenizer: a logical
 * line runs from its first token to its NEWLINE token.  Tokenizing in Python
 * cost 290 M instructions on boltons' suite in branch mode (1.9% of the whole
 * run, most of what branch mode added on 3.14), because every token becomes a
 * tuple.  A logical line's end needs far less than tokens: a newline ends it
 * unless it is inside brackets, inside a string, or escaped by a backslash.
 * So this scanner follows only brackets, comments, strings and f-string
 * replacement fields (which may hold strings, brackets and, on 3.12+, the
 * same quote as the f-string around them).
 *
 * It answers None where it cannot follow the text (an unterminated string,
 * an unbalanced bracket, f-strings nested too deep): the caller then asks the
 * tokenizer.  tests/test_statements.py compares the two on the standard
 * library and on cases written to be hard. */
#include "collector.h"

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t size, at;
    long line;           /* the line of `at` */
    int failed;
} Scanner;

#define MAX_NESTING 200  /* f-strings in f-strings: the tokenizer's own limit is lower */

static Py_UCS4
peek(const Scanner *s, Py_ssize_t ahead)
{
    Py_ssize_t at = s->at + ahead;
    return at < s->size ? PyUnicode_READ(s->kind, s->data, at) : 0;
}

/* Move past one character, counting lines. */
static Py_UCS4
take(Scanner *s)
{
    Py_UCS4 c = PyUnicode_READ(s->kind, s->data, s->at);
    s->at++;
    if (c == '\n') {
        s->line++;
    }
    return c;
}

static int
is_name_char(Py_UCS4 c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 128;
}

#define STRING 1
#define FORMATTED 2  /* an f- or t-string: it has replacement fields */
#define RAW 4

/* The STRING flags of the `length` characters before a quote, if they are a
 * string prefix (r, b, u, f, t and their pairs, any case), else 0. */
static int
string_prefix(const Scanner *s, Py_ssize_t start, Py_ssize_t length)
{
    if (length > 2) {
        return 0;
    }
    int flags = STRING;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(s->kind, s->data, start + i) | 0x20;  /* lower case */
        if (c == 'f' || c == 't') {
            flags |= FORMATTED;
        }
        else if (c == 'r') {
            flags |= RAW;
        }
        else if (c != 'b' && c != 'u') {
            return 0;
        }
    }
    return flags;
}

static void scan_string(Scanner *s, int flags, int depth);

/* A string literal, or a name (which may be a string's prefix), starting at
 * `at`: moves past it and answers 1; 0 when neither starts there. */
static int
scan_word(Scanner *s, int depth)
{
    Py_UCS4 c = peek(s, 0);
    if (c == '\'' || c == '"') {
        scan_string(s, STRING, depth);
        return 1;
    }
    if (!is_name_char(c)) {
        return 0;
    }
    Py_ssize_t start = s->at;
    while (s->at < s->size && is_name_char(peek(s, 0))) {
        take(s);
    }
    Py_UCS4 next = peek(s, 0);
    int prefix = next == '\'' || next == '"' ? string_prefix(s, start, s->at - start) : 0;
    if (prefix) {
        scan_string(s, prefix, depth);
    }
    return 1;
}

static void
skip_comment(Scanner *s)
{
    while (s->at < s->size && peek(s, 0) != '\n') {
        take(s);
    }
}

/* Code inside a replacement field, after its `{`: up to the `}` that closes
 * it, through a format spec (after a `:` outside brackets) and its own
 * nested fields. */
static void
scan_field(Scanner *s, int depth)
{
    int brackets = 0;
    while (!s->failed && s->at < s->size) {
        Py_UCS4 c = peek(s, 0);
        if (scan_word(s, depth + 1)) {
            continue;
        }
        if (c == '#') {
            skip_comment(s);
        }
        else if (c == '(' || c == '[' || c == '{') {
            brackets++;
            take(s);
        }
        else if ((c == ')' || c == ']' || c == '}') && brackets > 0) {
            brackets--;
            take(s);
        }
        else if (c == '}') {
            take(s);
            return;
        }
        else if (c == ':' && brackets == 0) {
            take(s);
            /* The format spec: text, and fields of its own, up to the `}`. */
            while (!s->failed && s->at < s->size) {
                Py_UCS4 d = take(s);
                if (d == '{') {
                    if (depth + 1 >= MAX_NESTING) {
                        s->failed = 1;
                        return;
                    }
                    scan_field(s, depth + 1);
                }
                else if (d == '}') {
                    return;
                }
            }
            s->failed = 1;
            return;
        }
        else {
            take(s);
        }
    }
    s->failed = 1;  /* the text ended inside the field */
}

/* A string literal, from its opening quote (past any prefix) to its end. */
static void
scan_string(Scanner *s, int flags, int depth)
{
    int formatted = flags & FORMATTED;
    if (depth >= MAX_NESTING) {
        s->failed = 1;
        return;
    }
    Py_UCS4 quote = take(s);
    int triple = peek(s, 0) == quote && peek(s, 1) == quote;
    if (triple) {
        take(s);
        take(s);
    }
    while (s->at < s->size) {
        Py_UCS4 c = take(s);
        if (c == '\\') {
            Py_UCS4 next = peek(s, 0);
            if (formatted && !(flags & RAW) && next == 'N' && peek(s, 1) == '{') {
                while (s->at < s->size && peek(s, 0) != '}') {
                    take(s);  /* \N{NAME}: a character, not a field */
                }
            }
            else if (s->at < s->size && !(formatted && next == '{')) {
                take(s);  /* escaped: a quote or a newline that does not end anything */
            }
        }
        else if (c == quote) {
            if (!triple) {
                return;
            }
            if (peek(s, 0) == quote && peek(s, 1) == quote) {
                take(s);
                take(s);
                return;
            }
        }
        else if (c == '\n' && !triple) {
            break;  /* unterminated */
        }
        else if (formatted && c == '{') {
            if (peek(s, 0) == '{') {
                take(s);  /* `{{`: a literal brace */
            }
            else {
                scan_field(s, depth);
                if (s->failed) {
                    return;
                }
            }
        }
    }
    s->failed = 1;
}

/* Add (line, first) for each line of a statement that spans several. */
static int
add_statement(PyObject *pairs, long first, long last)
{
    for (long line = first; line <= last && first < last; line++) {
        PyObject *pair = Py_BuildValue("(ll)", line, first);
        if (pair == NULL || PyList_Append(pairs, pair) < 0) {
            Py_XDECREF(pair);
            return -1;
        }
        Py_DECREF(pair);
    }
    return 0;
}

/* multiline_statements(text) -> ((line, first line of its statement), ...)
 * for the lines of multi-line statements, or None when the text cannot be
 * followed (see the top of this file). */
PyObject *
ccov_multiline_statements(PyObject *Py_UNUSED(module), PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "multiline_statements(text: str)");
        return NULL;
    }
    Scanner s = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), 0, 1, 0};
    PyObject *pairs = PyList_New(0);
    if (pairs == NULL) {
        return NULL;
    }
    long first = 0;   /* the line the current statement began on (0: none yet) */
    int brackets = 0;
    while (!s.failed && s.at < s.size) {
        Py_UCS4 c = peek(&s, 0);
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
            take(&s);
            continue;
        }
        if (c == '#') {
            skip_comment(&s);
            continue;
        }
        if (c == '\n') {
            long line = s.line;
            take(&s);
            if (brackets == 0 && first) {
                if (add_statement(pairs, first, line) < 0) {
                    Py_DECREF(pairs);
                    return NULL;
                }
                first = 0;
            }
            continue;
        }
        if (c == '\\' && peek(&s, 1) == '\n') {
            take(&s);
            take(&s);  /* a continued line */
            continue;
        }
        if (!first) {
            first = s.line;
        }
        if (!scan_word(&s, 0)) {
            if (c == '(' || c == '[' || c == '{') {
                brackets++;
            }
            else if (c == ')' || c == ']' || c == '}') {
                if (--brackets < 0) {
                    s.failed = 1;
                }
            }
            take(&s);
        }
    }
    if (s.failed || brackets != 0) {
        Py_DECREF(pairs);
        Py_RETURN_NONE;
    }
    /* The last statement, when the text does not end with a newline. */
    if (first && add_statement(pairs, first, s.line) < 0) {
        Py_DECREF(pairs);
        return NULL;
    }
    PyObject *result = PyList_AsTuple(pairs);
    Py_DECREF(pairs);
    return result;
}
