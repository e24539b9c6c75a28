"""python3.11 thread_exec.py PROGRAM ARG...: prints "ready", waits for a line,
calls before() 3 times, then a second thread execs PROGRAM (the kernel makes
it the process's main thread, with the process's pid)."""
import os
import sys
import threading
import time


def before():
    pass


def run():
    os.execv(sys.argv[1], sys.argv[1:])


print("ready", flush=True)
sys.stdin.readline()
for _ in range(3):
    before()
threading.Thread(target=run).start()
time.sleep(30)
