"""python3.11 fork_at_once.py N: prints "ready", waits for a line, forks; the
child calls work() N times at once and exits; the parent waits for it, calls
work() once, prints "result <child pid>" and exits."""
import os
import sys


def work():
    pass


print("ready", flush=True)
sys.stdin.readline()
pid = os.fork()
if pid == 0:
    for _ in range(int(sys.argv[1])):
        work()
    os._exit(0)
os.waitpid(pid, 0)
work()
print(f"result {pid}", flush=True)
