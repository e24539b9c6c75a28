"""For a Python in its own PID namespace: prints the ids it knows itself by
(os.getpid(), threading.get_native_id() of each thread) and makes calls and
an audit event on two threads and the main one.
python ns_threads.py linger|quick: with linger, the threads print "working"
once done and wait for a second line before they end."""
import json
import os
import sys
import threading

ids = {"pid": os.getpid(), "main": threading.get_native_id()}
linger = sys.argv[1] == "linger"
done = threading.Barrier(3)
release = threading.Event()


def leaf(i):
    return i


def work(name, n):
    ids[name] = threading.get_native_id()
    for i in range(n):
        leaf(i)
    with open(__file__, "rb"):
        pass


def thread(name, n):
    work(name, n)
    if linger:
        done.wait()
        release.wait()


print("ready", flush=True)
sys.stdin.readline()
threads = [threading.Thread(target=thread, args=("a", 30)), threading.Thread(target=thread, args=("b", 20))]
for t in threads:
    t.start()
if linger:
    done.wait()
    print("working", flush=True)
    sys.stdin.readline()
    release.set()
for t in threads:
    t.join()
work("main", 10)
print("result " + json.dumps(ids), flush=True)
