"""Calls functions whose names and file names are long (300, 4096, 5000
bytes, multi-byte characters): code objects take any string as co_filename.
Prints "ready", waits for a line, calls each function CALLS times, prints
"result <json>": the (filename, function) pairs it used, in call order.
"""
import json
import sys

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
# 'a' then 2-byte characters: a cut at 4096 bytes lands inside one.
CASES = [
    ("/srv/app/" + "d" * 284 + "/mod.py", "f" * 300),
    ("/srv/" + "p" * (4096 - 5 - 3) + ".py", "g" * 4096),
    ("/srv/" + "q" * (5000 - 5 - 3) + ".py", "h" * 5000),
    ("/srv/caf\u00e9/" + "\u00e9" * 300 + ".py", "\u00e9" * 300),
    ("/" + "a" + "\u00e9" * 2100 + ".py", "a" + "\u00e9" * 2100),
]

print("ready", flush=True)
sys.stdin.readline()
functions = []
for filename, name in CASES:
    ns = {}
    exec(compile("def %s():\n    return 1\n" % name, filename, "exec"), ns)
    functions.append(ns[name])
for fn in functions:
    for _ in range(CALLS):
        fn()
print("result " + json.dumps([[f, n] for f, n in CASES]), flush=True)
