"""What users call: the command line (`cli`, `cli_parser`, `run_options`),
the pytest plugin (`plugin`), the Python API (`api`), and what they share
after measurement (`common`: building the results, writing report files,
the gates) and a progress line (`progress`).

Import rule (tests/test_layers.py): nothing imports a front end but another
front end (and `ccov/__init__.py`'s lazy `Coverage`).
"""
