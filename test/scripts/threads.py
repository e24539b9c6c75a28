"""Two threads calling their own functions and a shared one, at the same time."""
import json
import sys
import threading

N_A = 3000
N_B = 2000
SHARED_EACH = 25

barrier = threading.Barrier(2)
tids = {}


def leaf_a(i):
    return i + 1


def leaf_b(i):
    return i * 2


def shared(i):
    return i


def work_a():
    tids["a"] = threading.get_native_id()
    barrier.wait()
    for i in range(N_A):
        leaf_a(i)
        if i < SHARED_EACH:
            shared(i)


def work_b():
    tids["b"] = threading.get_native_id()
    barrier.wait()
    for i in range(N_B):
        leaf_b(i)
        if i < SHARED_EACH:
            shared(i)


print("ready", flush=True)
sys.stdin.readline()
threads = [threading.Thread(target=work_a), threading.Thread(target=work_b)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("result " + json.dumps(tids), flush=True)
