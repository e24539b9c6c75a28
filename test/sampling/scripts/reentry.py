"""Enters the interpreter from C over and over: Python functions called back
by map() and sorted(key=...), each call a new C-level evaluation (on
3.11/3.12 a new _PyCFrame), from two depths of Python frames in turn, one
call each: so the C stack slot where the new evaluation will keep its
current frame last held a frame of the other depth, one now dead or another
function's. A sample taken as an evaluation begins must still be a stack
this script can be in.

Each line that calls says whom with a "# calls:" comment; the script reads
them. Protocol as shares.py: "result <json>" (the file, the thread's id, each
function's lines, the calls by line, the lines <module> waits at), "ready", a
line on stdin, 1 CPU second of work, "done", and it waits on stdin."""
import dis
import json
import sys
import threading
import time

ONE = [1]


def key(x):
    return -x


def plus_one(x):
    return x + 1


def callbacks():
    list(map(plus_one, ONE))  # calls:plus_one
    sorted(ONE, key=key)  # calls:key


def deeper(n):
    if n:
        return deeper(n - 1)  # calls:deeper
    callbacks()  # calls:callbacks


def main(cpu_seconds):
    end = time.thread_time() + cpu_seconds
    while time.thread_time() < end:
        callbacks()  # calls:callbacks
        deeper(12)  # calls:deeper
    print("done", flush=True)
    sys.stdin.readline()


def lines_of(f):
    code = f.__code__
    return [code.co_firstlineno, max(l for _, l in dis.findlinestarts(code) if l is not None)]


calls = {}
waits = []
for number, text in enumerate(open(__file__, encoding="utf-8"), 1):
    if "# calls:" in text:
        calls[number] = text.split("# calls:")[1].strip().split(",")
    if "# at:" in text:
        waits.append(number)
print("result " + json.dumps({
    "file": main.__code__.co_filename,
    "tid": threading.get_native_id(),
    "functions": {f.__name__: lines_of(f) for f in (key, plus_one, callbacks, deeper, main)},
    "calls": calls,
    "waits": waits,
}), flush=True)
print("ready", flush=True)
sys.stdin.readline()  # at:go
main(1.0)  # calls:main
