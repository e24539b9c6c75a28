"""CPU time spent inside a generator and inside coroutines: consume() sums
gen_spin(), which spins 2 ms of the thread's CPU time per item (300 items);
then asyncio runs outer(), which awaits inner_spin() (2 ms each, 300 times)
and yields to the event loop between. Protocol: "result <json>" (the file
and each function's first and last line), "ready", a line on stdin, the
work, "done", and it waits on stdin."""
import asyncio
import dis
import json
import sys
import time


def gen_spin(n):
    for _ in range(n):
        end = time.thread_time() + 0.002
        while time.thread_time() < end:
            pass
        yield 1


def consume():
    return sum(gen_spin(300))


async def inner_spin():
    end = time.thread_time() + 0.002
    while time.thread_time() < end:
        pass


async def outer():
    for _ in range(300):
        await inner_spin()
        await asyncio.sleep(0)


def lines_of(f):
    code = f.__code__
    return [code.co_firstlineno, max(l for _, l in dis.findlinestarts(code) if l is not None)]


functions = {f.__name__: lines_of(f) for f in (gen_spin, consume, inner_spin, outer)}
print("result " + json.dumps({"file": __file__, "functions": functions}), flush=True)
print("ready", flush=True)
sys.stdin.readline()
consume()
asyncio.run(outer())
print("done", flush=True)
sys.stdin.readline()
