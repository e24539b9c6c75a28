"""One thread spins on a CPU in spin() while another waits in blocked() on
an event (off the CPU all along). Protocol: "result <json>" (the file, both
threads' ids, the line blocked() waits at), "ready", a line on stdin, 1 s of
CPU in spin(), "done", and it waits on stdin (off the CPU, as it does for
"go": the timer samples it there)."""
import json
import sys
import threading
import time

released = threading.Event()
started = threading.Event()
blocked_tid = []


def blocked():
    blocked_tid.append(threading.get_native_id())
    started.set()
    released.wait()  # at:wait


def spin(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


waiter = threading.Thread(target=blocked, name="waiter")
waiter.start()
started.wait()
wait_line = next(n for n, t in enumerate(open(__file__, encoding="utf-8"), 1) if "# at:" + "wait" in t)
print("result " + json.dumps({
    "file": spin.__code__.co_filename,
    "spinner": threading.get_native_id(),
    "waiter": blocked_tid[0],
    "wait_line": wait_line,
}), flush=True)
print("ready", flush=True)
sys.stdin.readline()
spin(1.0)
print("done", flush=True)
sys.stdin.readline()
released.set()
