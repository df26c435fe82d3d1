"""An uncaught exception ends the program."""


def fail(kind):
    if kind:
        raise RuntimeError(f"failure: {kind}")
    return "fine"


fail("")
fail("boom")
print("never")
