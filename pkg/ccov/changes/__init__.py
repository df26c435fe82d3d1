"""What changed, from git: one reader of git and unified diffs (`gitdiff`),
diff coverage (`diffcov`, `ccov diff`) and the tests a change affects
(`affected`, `pytest --ccov-affected`).

Import rule (tests/test_layers.py): may import the model and the data,
never the front ends.
"""
