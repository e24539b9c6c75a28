"""Raises audit events with arguments of every kind the kernel reads."""
import sys

print("ready", flush=True)
sys.stdin.readline()
sys.audit("pytrace.kinds", "text", b"by\x00tes", 42, None)
sys.audit("pytrace.ints", -7, 2**59, -(2**40), 0)
sys.audit("pytrace.other", [1], {"a": 1}, 1.5, "caf\u00e9")
sys.audit("pytrace.long", "x" * 100, b"y" * 100, 2**70)
sys.audit("pytrace.many", 1, 2, 3, 4, 5, 6)
sys.audit("pytrace.none")
open(__file__, "rb").close()
