"""Known behaviour for the agent's tests. Prints "ready" and waits for a line;
then calls counted() CALLS times, collects generation 0, 1 and 2 (GC_ROUNDS
times each), imports each module in MODULES and tries MISSING modules that do
not exist, raises AUDITS audit events "pytrace.agent_test", prints
"result <json>" and waits for a line to exit.

Automatic collections are off from the first line, so between "ready" and
the end the collector runs only when told. The result carries gc.get_stats()
at "ready" and at the end: CPython's own count of its collections. With
PYTHONPROFILEIMPORTTIME (or -X importtime), CPython writes one stderr line
per module it searched and loaded, where the import markers fire; "-- ready"
on stderr separates those made before the gate.
"""

import gc

gc.disable()
import json
import sys

calls, gc_rounds, audits, missing = (int(a) for a in sys.argv[1:5])
modules = sys.argv[5].split(",") if len(sys.argv) > 5 and sys.argv[5] else []


def counted():
    pass


before = gc.get_stats()
print("-- ready", file=sys.stderr, flush=True)
print("ready", flush=True)
sys.stdin.readline()

for _ in range(calls):
    counted()
for _ in range(gc_rounds):
    for generation in (0, 1, 2):
        gc.collect(generation)
for name in modules:
    __import__(name)
for i in range(missing):
    try:
        __import__(f"pytrace_agent_missing_{i}")
    except ImportError:
        pass
for i in range(audits):
    sys.audit("pytrace.agent_test", i)

after = gc.get_stats()
print("-- done", file=sys.stderr, flush=True)
print("result " + json.dumps({"before": before, "after": after}), flush=True)
sys.stdin.readline()
