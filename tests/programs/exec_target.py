"""Executed with exec() by threads_exec.py, never imported."""


def run_me():
    value = 1
    if value > 5:
        value = "never"
    return value


def not_run():
    return 2
