"""Known calls in two threads for the profile formats: the main thread runs
outer() -> spin() and outer() -> rest(); a thread named "worker-1" runs
crunch() -> spin() and crunch() -> <listcomp> -> spin(). A function whose
code name has ';', a space and a line break stands for a hostile name."""
import json
import sys
import threading
import time

SPINS = 3


def spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


def rest():
    time.sleep(0.01)


def outer():
    for _ in range(SPINS):
        spin(20000)
    rest()


def crunch():
    for _ in range(SPINS):
        spin(30000)
    # A function named in angle brackets, as Python names comprehensions and modules.
    return [spin(100) for _ in range(SPINS)]


def hostile():
    return 1


hostile.__code__ = hostile.__code__.replace(co_name="evil;frame name\nforged 99")


print("ready", flush=True)
sys.stdin.readline()
worker = threading.Thread(target=crunch, name="worker-1")
worker.start()
outer()
hostile()
worker.join()
names = {threading.main_thread().native_id: "MainThread", worker.native_id: worker.name}
print("result " + json.dumps({"threads": names}), flush=True)
