"""python3.11 flood_fork.py CALLS: prints "ready", waits for a line, calls
work() CALLS times, forks a child that prints "child" and exits, waits for it,
prints "result <child pid>" and exits."""
import os
import sys


def work():
    pass


print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    work()
pid = os.fork()
if pid == 0:
    print("child", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print(f"result {pid}", flush=True)
