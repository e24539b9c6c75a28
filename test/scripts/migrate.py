"""A thread that moves to another CPU inside each call: the call's entry is
recorded on one CPU and its return on the other."""
import json
import os
import sys

HOPS = 400
cpus = sorted(os.sched_getaffinity(0))[:2]


def hop(cpu):
    # Pid 0: this thread. The move happens before the call returns.
    os.sched_setaffinity(0, {cpu})
    return cpu


def run():
    for i in range(HOPS):
        hop(cpus[i % 2])


print("ready", flush=True)
sys.stdin.readline()
os.sched_setaffinity(0, {cpus[1]})
run()
print("result " + json.dumps(len(cpus)), flush=True)
