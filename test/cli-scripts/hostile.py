"""Names a traced program controls, made to attack a terminal: a function,
its file, a module and an audit event whose names hold escape sequences,
CR/LF, DEL, C1 controls and a line separator. Each step after a line on
stdin; the names are in test/cli/hostile.test.ts too."""
import ctypes
import os
import sys
import time

FUNC = "fn\x1b]0;pwned\x07\x1b[2J\r\n999 forged\x7f\x9b31m\u2028\\x1b"
BASE = "evil\x1b]0;pwned\x07\n\x9b2J\x7f.py"
MODULE = "mod\x1b[2J\nforged\x9b"
AUDIT = "pytrace\x1b]0;pwned\x07\r\nforged\x7f\x9b"
AUDIT_ARG = "a\x1b[2J\n\x7fb\\"

# The thread's name (comm), as SystemTap's execname() and pytrace calls --format stap show it.
THREAD = b"py\x1b[2J\n"
ctypes.CDLL(None).prctl(15, THREAD, 0, 0, 0)  # PR_SET_NAME

directory = sys.argv[1]
sys.dont_write_bytecode = True
with open(os.path.join(directory, MODULE + ".py"), "w") as f:
    f.write("X = 1\n")
sys.path.insert(0, directory)

namespace = {}
exec(compile("def g(n):\n    return n + 1\n", os.path.join(directory, BASE), "exec"), namespace)
g = namespace["g"]
g.__code__ = g.__code__.replace(co_name=FUNC)

# One write each: under pytrace run, pytrace writes to the same stdout.
os.write(1, b"ready\n")
for line in sys.stdin:
    word = line.strip()
    if word == "calls":
        for i in range(3):
            g(i)
    elif word == "audit":
        sys.audit(AUDIT, AUDIT_ARG, 7)
    elif word == "import":
        __import__(MODULE)
    elif word == "loop":
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            g(1)
    elif word == "exit":
        break
    os.write(1, f"done {word}\n".encode())
