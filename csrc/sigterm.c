/* SIGTERM that is never lost.
 *
 * ccov saves the data of a process killed by SIGTERM with a Python-level
 * handler (ccov.measuring.measure).  CPython runs such a handler only when the main
 * thread next checks for signals, and a signal that arrives just before a
 * blocking call that no signal then interrupts (a multiprocessing pool worker
 * about to wait on its task queue: the check is done, sem_wait not entered
 * yet) is never handled: the process, which SIG_DFL would have killed, waits
 * for ever, and so does Pool.terminate() in its parent.
 *
 * So ccov's own sigaction wraps the one Python installed: it passes the
 * signal on to Python (which notes it for the Python-level handler), and,
 * until that handler has started, sends SIGTERM to the process again 200 ms
 * later through a POSIX timer (timer_settime is async-signal-safe).  A
 * signal that comes while the thread waits interrupts the wait, and the
 * handler runs.  A timer is not inherited by fork(): the child makes its own.
 *
 * A helper thread woken by the handler would avoid the timer, but a process
 * with a second thread makes every os.fork() warn on 3.12+ (and fail under
 * -W error).  Where POSIX timers do not exist, nothing is wrapped.
 */
#include "collector.h"

#include <errno.h>
#include <signal.h>
#include <time.h>

/* CCOV_WITHOUT_POSIX_TIMERS builds the path of Windows and macOS here
 * (`./dev clang` compiles it, so that path stays warning-free too). */
#if defined(_POSIX_TIMERS) && _POSIX_TIMERS > 0 && defined(SIGEV_SIGNAL) && !defined(CCOV_WITHOUT_POSIX_TIMERS)
#define CCOV_SIGTERM_RETRY 1
#endif

#ifdef CCOV_SIGTERM_RETRY
static struct sigaction python_action; /* what Python's signal module installed */
static timer_t retry_timer;
static int timer_made;
static volatile sig_atomic_t started;  /* the Python-level handler began */
static volatile sig_atomic_t wrapped;

#define RETRY_NANOSECONDS 200000000L

static void
on_sigterm(int signum, siginfo_t *info, void *context)
{
    int saved_errno = errno;
    if (python_action.sa_flags & SA_SIGINFO) {
        python_action.sa_sigaction(signum, info, context);
    }
    else if (python_action.sa_handler != SIG_DFL && python_action.sa_handler != SIG_IGN) {
        python_action.sa_handler(signum);
    }
    if (!started && timer_made) {
        struct itimerspec again = {{0, 0}, {0, RETRY_NANOSECONDS}};
        timer_settime(retry_timer, 0, &again, NULL);
    }
    errno = saved_errno;
}

static int
make_timer(void)
{
    struct sigevent event;
    memset(&event, 0, sizeof(event));
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGTERM;
    timer_made = timer_create(CLOCK_MONOTONIC, &event, &retry_timer) == 0;
    return timer_made;
}
#endif

PyObject *
ccov_guard_sigterm(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
#ifdef CCOV_SIGTERM_RETRY
    struct sigaction current, ours;
    if (sigaction(SIGTERM, NULL, &current) != 0 || current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN) {
        Py_RETURN_FALSE;  /* no Python-level handler to wrap */
    }
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_sigterm) {
        Py_RETURN_TRUE;  /* wrapped already */
    }
    if (!timer_made && !make_timer()) {
        Py_RETURN_FALSE;
    }
    python_action = current;
    memset(&ours, 0, sizeof(ours));
    ours.sa_sigaction = on_sigterm;
    ours.sa_flags = SA_SIGINFO | (current.sa_flags & SA_RESTART);
    sigemptyset(&ours.sa_mask);
    started = 0;
    if (sigaction(SIGTERM, &ours, NULL) != 0) {
        Py_RETURN_FALSE;
    }
    wrapped = 1;
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

PyObject *
ccov_sigterm_started(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
#ifdef CCOV_SIGTERM_RETRY
    started = 1;
    if (timer_made) {
        struct itimerspec never = {{0, 0}, {0, 0}};
        timer_settime(retry_timer, 0, &never, NULL);
    }
#endif
    Py_RETURN_NONE;
}

PyObject *
ccov_sigterm_after_fork(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
#ifdef CCOV_SIGTERM_RETRY
    /* The parent's timer does not exist here (timers are not inherited). */
    timer_made = 0;
    started = 0;
    if (wrapped) {
        make_timer();
    }
#endif
    Py_RETURN_NONE;
}
