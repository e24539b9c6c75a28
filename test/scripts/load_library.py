"""python3.11 load_library.py [LIBRARY] [CALLS]: loads LIBRARY (if not "") with ctypes,
prints "ready", waits for a line on stdin, calls leaf() CALLS times, prints
"result <json>" and exits."""
import ctypes
import json
import sys

if len(sys.argv) > 1 and sys.argv[1]:
    ctypes.CDLL(sys.argv[1])
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000


def leaf(i):
    return i


print("ready", flush=True)
sys.stdin.readline()
for i in range(CALLS):
    leaf(i)
print("result " + json.dumps({"calls": CALLS}), flush=True)
