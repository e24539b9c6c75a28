"""Creates and drops many functions with different names, one at a time, so
their name strings and code objects land on addresses freed by the previous
ones. Prints "ready", waits for a line, runs, prints "result <json>" with how
many distinct addresses the names had (fewer than functions: reuse happened).
"""
import json
import sys

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 2000

print("ready", flush=True)
sys.stdin.readline()
addresses = set()
for i in range(COUNT):
    ns = {}
    exec("def fn_%d():\n    return %d\n" % (i, i), ns)
    fn = ns["fn_%d" % i]
    addresses.add(id(fn.__code__.co_name))
    fn()
    del ns, fn
print("result " + json.dumps({"count": COUNT, "addresses": len(addresses)}), flush=True)
