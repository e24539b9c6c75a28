"""A multiprocessing pool (the start method of its version: fork, or
forkserver from 3.14) whose workers each spin in work() for 1 s of CPU.
Where the system gives no POSIX semaphores (a bare chroot without /dev/shm),
three os.fork() children do the same work instead.
Protocol: "result <json>" (the file), "ready", a line on stdin, the pool's
work, "workers <json>" (the pids that ran work()), "done", and it waits on
stdin."""
import json
import multiprocessing
import os
import sys
import time


def work(_):
    end = time.thread_time() + 1.0
    while time.thread_time() < end:
        pass
    return os.getpid()


if __name__ == "__main__":
    print("result " + json.dumps({"file": work.__code__.co_filename}), flush=True)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        with multiprocessing.Pool(3) as pool:
            pids = sorted(set(pool.map(work, range(3), chunksize=1)))
    except OSError as e:
        print("no pool here (%s): forked workers" % e, file=sys.stderr, flush=True)
        pids = []
        for i in range(3):
            child = os.fork()
            if child == 0:
                work(i)
                os._exit(0)
            pids.append(child)
        for child in pids:
            os.waitpid(child, 0)
        pids.sort()
    print("workers " + json.dumps(pids), flush=True)
    print("done", flush=True)
    sys.stdin.readline()
