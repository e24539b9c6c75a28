"""Stops inside a known call stack and says what it is: for each frame,
innermost first, the code object's id (its address), file, qualified name
and current line; and the thread's ids. Some frames come from code compiled
under file names of every str kind (latin-1, UCS-2, UCS-4), one of them longer
than pytrace reads whole. Protocol: "ready", a line on stdin, "result <json>",
then it waits on stdin again (blocked there while the test reads it).
One file name is a str subclass's instance, a legacy string."""
import json
import sys
import threading

print("ready", flush=True)
sys.stdin.readline()

WIDE_FILE = "/virtual/caf\u00e9-\u4e2d\u6587-\U00020000/module.py"
LONG_FILE = "/virtual/" + "\u00e9\u4e2d\U00020000" * 2000 + "/long.py"

wide = {}
exec(compile(
    "def outer_\u00e9(report):\n"
    "    return middle_\u4e2d(report)\n"
    "\n"
    "\n"
    "def middle_\u4e2d(report):\n"
    "    return [inner(report) for inner in (inner_\U00020000,)][0]\n",
    WIDE_FILE, "exec"), wide)
exec(compile("\n" * 300 + "def inner_\U00020000(report):\n    return report()\n", LONG_FILE, "exec"), wide)


def describe(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        out.append({
            "code": str(id(code)),
            "file": code.co_filename,
            "function": getattr(code, "co_qualname", code.co_name),
            "line": frame.f_lineno,
        })
        frame = frame.f_back
    return out


def report_and_wait():
    frames = describe(sys._getframe())
    frames[0]["line"] = sys._getframe().f_lineno + 4  # the readline below
    ids = {"native": threading.get_native_id(), "ident": str(threading.get_ident())}
    version = "%d.%d.%d" % sys.version_info[:3]
    print("result " + json.dumps({"version": version, "thread": ids, "frames": frames}), flush=True)
    sys.stdin.readline()


class Runner:
    def run(self):
        return wide["outer_\u00e9"](report_and_wait)


class SubclassName(str):
    """A str subclass: a legacy (non-compact) string in every version."""


# A code object may carry a str subclass as its file name (code.replace accepts one).
Runner.run.__code__ = Runner.run.__code__.replace(co_filename=SubclassName("/virtual/subclass-\u00e9/run.py"))


idle = threading.Event()
threading.Thread(target=idle.wait, name="idle", daemon=True).start()
Runner().run()
idle.set()
