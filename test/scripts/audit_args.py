"""Raises audit events with arguments of every kind the kernel reads, then
prints "result <json>": each event's name and Python's repr() of its
arguments, for the test to compare with what pytrace shows."""
import json
import sys

CASES = [
    ("pytrace.kinds", ("text", b"by\x00tes", 42, None)),
    ("pytrace.ints", (-7, 2**59, -(2**40), 0, 2**100, -(2**200))),
    ("pytrace.quotes", ("\x00123", b"\x00\xff", "it's", 'say "hi"', "both ' and \"", "back\\slash")),
    ("pytrace.bytes", (b"it's", b'"', b"'\"", b"\\", b"\t\n\r\x7f", b"")),
    ("pytrace.text", ("caf\u00e9", "\u0100\u20ac", "\U0001f600 ok", "tab\tnl\n\x1b[2J", "\x7f\x80\x9f\xa0", "\u200b\u2028")),
    ("pytrace.nested", (("127.0.0.1", 80), ("::1", 8080, 0, 0), (), ("one",))),
    ("pytrace.other", ([1], {"a": 1}, 1.5)),
    ("pytrace.long", ("x" * 300, b"y" * 300, "\u00e9" * 300, "\u20ac" * 300, 2**300)),
    ("pytrace.deep", (((1, 2),), (1, 2, 3, 4, 5))),
    ("pytrace.many", (1, 2, 3, 4, 5, 6, 7, 8)),
    ("pytrace.none", ()),
]

print("ready", flush=True)
sys.stdin.readline()
for name, args in CASES:
    sys.audit(name, *args)
open(__file__, "rb").close()
print("result " + json.dumps([[name, repr(args)] for name, args in CASES]), flush=True)
