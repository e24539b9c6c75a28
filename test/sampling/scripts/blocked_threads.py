"""Three threads blocked at known places (a lock, an event, a sleep, each a
few calls deep), and what the script sees of them itself: per thread, its
native id and its stack (file, function, line; outermost first) from
sys._current_frames() and traceback. Protocol: "ready", a line on stdin,
"result <json>", then the main thread waits on stdin."""
import json
import sys
import threading
import time
import traceback

print("ready", flush=True)
sys.stdin.readline()

lock = threading.Lock()
lock.acquire()
event = threading.Event()


def take_lock():
    lock.acquire()


def wait_event():
    event.wait()


def sleep_long():
    time.sleep(1000)


def nested(depth, leaf):
    if depth == 0:
        leaf()
    else:
        nested(depth - 1, leaf)


threads = [
    threading.Thread(target=nested, args=(2, take_lock), name="locker", daemon=True),
    threading.Thread(target=nested, args=(5, wait_event), name="waiter", daemon=True),
    threading.Thread(target=sleep_long, name="sleeper", daemon=True),
]
for t in threads:
    t.start()
time.sleep(0.3)  # every thread is at its blocking call by then
frames = sys._current_frames()
report = {}
for t in threads:
    stack = traceback.extract_stack(frames[t.ident])
    report[t.native_id] = {"name": t.name, "frames": [[f.filename, f.name, f.lineno] for f in stack]}
print("result " + json.dumps(report), flush=True)
sys.stdin.readline()
