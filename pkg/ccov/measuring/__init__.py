"""What runs inside the measured process: the collector's Python side
(`collector`), a measurement session saved exactly once (`measure`), which
files are measured (`file_selection`, `globs`), running the program as
`python` would (`runner`), child processes and the ways a process ends
(`childproc`, `process_env`, `process_hooks`), and room on the stack
(`stack`).

Import rule (tests/test_layers.py): at module level these import only the
standard library modules Python has loaded at start-up anyway, `ccov.errors`,
`ccov.config`, `ccov._collector` and each other.  Anything else (the data
file, the branch tables) is imported inside the function that needs
it, so `ccov run` and a child process start fast.
"""
