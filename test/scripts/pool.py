"""A multiprocessing pool (fork start method): python3.11 pool.py WORKERS CALLS

Prints "ready" and waits for a line: the semaphores' addresses as JSON (by
marker name). Then starts the pool and prints
"workers <pids json>", waits for another line, and runs tasks: each task calls
work() CALLS times in a timed loop, after reading the worker's own marker
semaphores (at the addresses the test passes: a forked child has the parent's
layout). The parent runs the same loop itself. Prints "result <json>": per pid,
how many work() calls it made, its semaphores and each loop's seconds, and exits.
"""
import json
import multiprocessing
import os
import sys
import time


def work():
    pass


def semaphores(addresses):
    with open("/proc/self/mem", "rb") as mem:
        out = {}
        for name, address in addresses.items():
            mem.seek(address)
            out[name] = int.from_bytes(mem.read(2), "little")
        return out


def task(args):
    calls, addresses = args
    sems = semaphores(addresses)
    start = time.perf_counter()
    for _ in range(calls):
        work()
    return os.getpid(), calls, sems, time.perf_counter() - start


def main():
    workers, calls = int(sys.argv[1]), int(sys.argv[2])
    print("ready", flush=True)
    addresses = json.loads(sys.stdin.readline())
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        print("workers " + json.dumps([p.pid for p in pool._pool]), flush=True)
        sys.stdin.readline()
        done = pool.map(task, [(calls, addresses)] * (workers * 2), chunksize=1)
        pool.close()
        pool.join()
    mine = task((calls, addresses))
    result = {}
    for pid, n, sems, seconds in done + [mine]:
        r = result.setdefault(str(pid), {"calls": 0, "semaphores": sems, "seconds": []})
        r["calls"] += n
        r["seconds"].append(seconds)
    print("result " + json.dumps({"parent": os.getpid(), "pids": result}), flush=True)


main()
