"""Code objects freed, and their addresses given to other code, while their
samples are still on the way. Each round compiles f_K from its own source
(file "<gen K>"), calls it through via_even() or via_odd() by K's parity
(f_K spins 0.002 s of CPU), drops it, and at once compiles g_K, the same
code under another name and file, which is never called: pymalloc gives
g_K's code object the block f_K's just left. The last 64 g_K are kept, so
their blocks are not reused in turn. Protocol: "ready", a line on stdin,
the rounds, "done", and it waits on stdin. Runs on 3.6+."""
import collections
import sys
import time

SOURCE = (
    "def %s_%d():\n"
    "    end = thread_time() + 0.002\n"
    "    while thread_time() < end:\n"
    "        pass\n"
)


def compiled(prefix, k):
    scope = {"thread_time": time.thread_time}
    exec(compile(SOURCE % (prefix, k), "<%s %d>" % (prefix, k), "exec"), scope)
    return scope["%s_%d" % (prefix, k)]


def via_even(f):
    f()


def via_odd(f):
    f()


def rounds(n):
    kept = collections.deque(maxlen=64)
    for k in range(n):
        f = compiled("f", k)
        (via_odd if k % 2 else via_even)(f)
        del f
        kept.append(compiled("g", k))


print("ready", flush=True)
sys.stdin.readline()
rounds(600)
print("done", flush=True)
sys.stdin.readline()
