"""gc, import and audit events of known counts, for every version:
python events.py SCENARIO. The scenario runs between two audit events
"pytrace.mark" (begin, end): every version fires audit, while 3.12-3.14 have
no function markers to mark a window with.
"""
import gc
import json
import sys

gc.disable()


def mark(what):
    sys.audit("pytrace.mark", what)


def make_cycles(n):
    for _ in range(n):
        a = []
        a.append(a)


def scenario_gc():
    make_cycles(3)
    collected = [gc.collect(0)]
    make_cycles(2)
    collected.append(gc.collect(1))
    collected.append(gc.collect(2))
    return collected


def scenario_imports():
    already = "colorsys" in sys.modules
    import colorsys  # noqa: F401

    try:
        import no_such_module_xyz  # noqa: F401

        missing = False
    except ImportError:
        missing = True
    return {"already": already, "missing": missing}


# Each kind of audit event below reaches the marker through another inlined
# copy in 3.14 and 3.15 (several locations of one marker).
def scenario_audit():
    for _ in range(3):
        with open(__file__, "rb") as f:
            f.read(1)
    sys._getframe()
    sys._getframe()
    sys.settrace(None)
    sys.audit("pytrace.custom", 1)
    return "done"


print("ready", flush=True)
sys.stdin.readline()
mark("begin")
result = globals()["scenario_" + sys.argv[1]]()
mark("end")
print("result " + json.dumps(result), flush=True)
