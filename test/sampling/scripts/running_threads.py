"""Two threads that run Python calls without pause (busy_loop calls a,
which calls b, which calls c), so a dump finds them on a CPU or waiting for
one, mid-call; the main thread blocks on stdin. Protocol: "ready", a line
on stdin, "result <json>" (the busy threads' native ids), then it waits on
stdin."""
import json
import sys
import threading


def c():
    pass


def b():
    c()


def a():
    b()


def busy_loop():
    while True:
        a()


print("ready", flush=True)
sys.stdin.readline()
threads = [threading.Thread(target=busy_loop, name="busy-%d" % i, daemon=True) for i in range(2)]
for t in threads:
    t.start()
print("result " + json.dumps([t.native_id for t in threads]), flush=True)
sys.stdin.readline()
