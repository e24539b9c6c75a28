"""Runs code compiled under a file name that is not valid UTF-8 (bytes
0xff: the str holds a lone surrogate) and prints what happened."""
import sys

code = compile("def f():\n    return 1\nf()\n", b"/tmp/bad\xff.py", "exec")
try:
    exec(code)
    print("ran", flush=True)
except SystemError as e:
    root = e
    while root.__cause__ is not None:
        root = root.__cause__
    print(f"SystemError: {e}; first cause: {type(root).__name__}: {root}", flush=True)
