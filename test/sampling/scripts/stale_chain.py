"""Leaves its thread's frame chain as a sample can find it mid-race, on
purpose and for long: on 3.11/3.12 a new C-level evaluation links its
_PyCFrame before setting its current frame, which for a moment holds what
the C stack held, often a frame popped since. Here stale_window() calls
leaf(), which notes its own frame's address; once leaf() has returned, that
memory above the data stack's top still holds its frame (dead, its code and
its link to stale_window's live frame intact). stale_window() then points the
thread's cframe->current_frame at the dead frame for 0.5 s of CPU time spent
in C (no Python frame is entered or left meanwhile) and puts it back. Every
sample of that time reads a plausible chain, leaf > stale_window > main, that
the script is not in: it must be counted as stale, never sent.

Protocol as shares.py: "result <json>", "ready", a line on stdin ("go", then
the offsets of PyThreadState.cframe and _PyCFrame.current_frame), the work,
"done", and it waits on stdin."""
import ctypes
import dis
import json
import sys
import threading
import time

# struct _frame (PyFrameObject) in 3.11/3.12: PyObject_HEAD, f_back, then f_frame.
FRAME_OBJECT_F_FRAME = 24
dead = []


def leaf():
    dead.append(ctypes.c_void_p.from_address(id(sys._getframe()) + FRAME_OBJECT_F_FRAME).value)


def stale_window(seconds, thread_cframe, cframe_current_frame):
    get = ctypes.pythonapi.PyThreadState_Get
    get.restype = ctypes.c_void_p
    cframe = ctypes.c_void_p.from_address(get() + thread_cframe).value
    current = ctypes.c_void_p.from_address(cframe + cframe_current_frame)
    real = current.value
    leaf()  # calls:leaf
    end = time.thread_time() + seconds
    current.value = dead[-1]
    while time.thread_time() < end:
        sum(range(100000))
    current.value = real


def main(offsets):
    stale_window(0.5, *offsets)  # calls:stale_window
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
    "minor": sys.version_info[1],
    "tid": threading.get_native_id(),
    "functions": {f.__name__: lines_of(f) for f in (leaf, stale_window, main)},
    "calls": calls,
    "waits": waits,
}), flush=True)
print("ready", flush=True)
go = sys.stdin.readline().split()  # at:go
main([int(x) for x in go[1:]])  # calls:main
