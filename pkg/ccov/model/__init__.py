"""Analysis and the one results model: reading source as Python does
(`source`), statements, exclusions, functions and classes (`analysis`), the
branches a report counts, from the syntax tree (`syntax_branches`), what a
code object's branch instructions mean as line arcs, for the collector
(`bytecode_branches`), the analysis cache (`analysis_cache`), and the results
model every report reads (`results`).

Import rule (tests/test_layers.py): may import `ccov.data`, never the front
ends, the reports or the measuring session.
"""
