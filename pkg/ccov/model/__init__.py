"""Analysis and the one results model: reading source as Python does
(`source`), statements, exclusions, functions and classes (`analysis`), the
branches a report counts, from the syntax tree (`syntax_branches`), the
analysis cache (`analysis_cache`), and the results model every report reads
(`results`).  What a code object's branch instructions mean as line arcs is
read by the collector, in C (csrc/branch_reader_312.c; its Python reference
is tests/branch_reference.py).

Import rule (tests/test_layers.py): may import `ccov.data`, never the front
ends, the reports or the measuring session.
"""
