"""A thread blocked in a function whose name carries an escape sequence and a
newline; the main thread prints "ready" and waits on stdin."""
import sys
import threading

started = threading.Event()
namespace = {"started": started, "threading": threading}
exec(compile("def evil():\n    started.set()\n    threading.Event().wait()\n", "/virtual/x\ny.py", "exec"), namespace)
evil = namespace["evil"]
evil.__code__ = evil.__code__.replace(co_name="evil\u001b_name", co_qualname="evil\u001b_name")
threading.Thread(target=evil, daemon=True).start()
started.wait()
print("ready", flush=True)
sys.stdin.readline()
