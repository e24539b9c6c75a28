"""Scenes of a process's life while it is profiled, by ARGV[1]:
- exit: spins 0.5 s of CPU in work(), then exits with status 0;
- deep: recurses 300 calls deep into recurse(), spins 1 s of CPU at the
  bottom, prints "done", waits on stdin;
- thread: starts a thread that spins 0.5 s of CPU in worker() and ends
  (it prints "worker <native id>"), then spins 0.3 s more in main_work(),
  prints "done", waits on stdin.
Protocol: "ready", a line on stdin, then the scene."""
import sys
import threading
import time


def spin(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def work():
    spin(0.5)


def recurse(n):
    if n == 0:
        spin(1.0)
    else:
        recurse(n - 1)


def worker():
    print("worker %d" % threading.get_native_id(), flush=True)
    spin(0.5)


def main_work():
    spin(0.3)


sys.setrecursionlimit(2000)
scene = sys.argv[1]
print("ready", flush=True)
sys.stdin.readline()
if scene == "exit":
    work()
    sys.exit(0)
if scene == "deep":
    recurse(300)
if scene == "thread":
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    main_work()
print("done", flush=True)
sys.stdin.readline()
