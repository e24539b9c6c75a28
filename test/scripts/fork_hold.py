"""python3.11 fork_hold.py: prints "ready", waits for a line, forks a child
that prints "child <pid>" and waits for SIGUSR1, then exits normally (the
interpreter's own exit: atexit, finalization, .fini). The parent waits for it
and prints "result <its exit status>"."""
import os
import signal
import sys

print("ready", flush=True)
sys.stdin.readline()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
pid = os.fork()
if pid == 0:
    print(f"child {os.getpid()}", flush=True)
    signal.sigwait({signal.SIGUSR1})
    sys.exit(0)
_, status = os.waitpid(pid, 0)
print(f"result {status}", flush=True)
