"""Strings of every representation, each with its id (its address): compact
ascii, latin-1, UCS-2, UCS-4, a lone surrogate, empty, control characters,
longer than pytrace reads whole (ascii and UCS-4), and str subclasses (legacy
strings). Protocol: "ready", a line on stdin, "result <json>", then it waits
on stdin (the strings stay alive while the test reads them)."""
import json
import sys

print("ready", flush=True)
sys.stdin.readline()


class Sub(str):
    pass


values = {
    "empty": "",
    "ascii": "plain ascii",
    "latin1": "caf\u00e9 \u00ff",
    "ucs2": "\u4e2d\u6587 \u0100",
    "ucs4": "\U0001f600 \U00020000 \u00e9",
    "surrogate": "a\ud800b",
    "control": "\x1b[31mred\x1b[0m\r\n\x00end",
    "long_ascii": "x" * 10000,
    "long_ucs4": "\U00020000" * 5000,
    "subclass": Sub("sub \u00e9 \U0001f600"),
    "subclass_empty": Sub(""),
}
print("result " + json.dumps({k: [str(id(v)), v] for k, v in values.items()}), flush=True)
sys.stdin.readline()
