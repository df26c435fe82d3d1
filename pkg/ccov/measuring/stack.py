"""Room on the stack for what must run wherever the program happens to be.

A save starts wherever the program ends: in a signal handler near the
recursion limit, in os._exit called from deep recursion, or after the program
lowered the limit to almost nothing.  Callers wrap such work in with_room()
as their very first step, so that the frames before it are as few as can be.
"""

from __future__ import annotations

import sys

# Frames a save may need beyond the caller's depth (imports, the data
# file writer: about 60 are used; the rest is margin).
_ROOM = 250


def with_room(action):
    """action(), however deep the caller's stack is.  The recursion limit is
    raised past the current depth for the call (Python frames use no C stack
    on 3.12+); if the C stack itself runs out, the action runs again in a new
    thread, whose stack is fresh.  (Not a thread first: 3.12 refuses new
    threads in atexit.)  The action must be safe to run twice."""
    limit = sys.getrecursionlimit()
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    raised = depth + _ROOM > limit
    if raised:
        sys.setrecursionlimit(depth + _ROOM)
    try:
        return action()
    except RecursionError:
        return _in_new_thread(action)
    finally:
        if raised:
            try:
                sys.setrecursionlimit(limit)
            except RecursionError:
                # The caller is itself at the old limit (a signal handler at
                # the edge): it keeps the higher one.  A save ends the process
                # anyway, but for the plugin's, which runs shallow.
                pass


def _in_new_thread(action):
    import _thread

    done = _thread.allocate_lock()
    done.acquire()
    outcome: list = []

    def body():
        try:
            outcome.append((True, action()))
        except BaseException as err:  # handed to the caller's thread
            outcome.append((False, err))
        finally:
            done.release()

    _thread.start_new_thread(body, ())  # RuntimeError at interpreter shutdown: the caller's problem
    interrupted = None
    while True:
        try:
            done.acquire()
            break
        except BaseException as err:  # a signal handler raised while we wait: the save finishes first
            interrupted = err
    if interrupted is not None:
        raise interrupted
    ok, value = outcome[0]
    if ok:
        return value
    raise value
