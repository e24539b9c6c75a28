"""Spends its CPU time 3:1 in two functions: parent() runs leaf_a() for 3 d
and leaf_b() for d seconds of the thread's CPU time (d varies, so no sampling
period can align with the calls). Prints "ready", waits for a line, works
until the next line, then prints "result <json>" with the number of times it
called parent(), and waits for a line to exit."""
import json
import random
import sys
import threading
import time

stop = threading.Event()


def leaf_a(d):
    end = time.thread_time() + 3 * d
    while time.thread_time() < end:
        pass


def leaf_b(d):
    end = time.thread_time() + d
    while time.thread_time() < end:
        pass


def parent(d):
    leaf_a(d)
    leaf_b(d)


def work():
    rng = random.Random(1)
    calls = 0
    while not stop.is_set():
        parent(rng.uniform(0.0002, 0.0018))
        calls += 1
    print("result " + json.dumps({"parent": calls}), flush=True)


print("ready", flush=True)
sys.stdin.readline()
worker = threading.Thread(target=work)
worker.start()
sys.stdin.readline()
stop.set()
worker.join()
sys.stdin.readline()
