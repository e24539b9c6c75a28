"""Starts a second thread, prints its native id, then "ready", and waits until killed."""
import sys
import threading

started = threading.Event()


def idle():
    print(threading.get_native_id(), flush=True)
    started.set()
    threading.Event().wait()


threading.Thread(target=idle, daemon=True).start()
started.wait()
print("ready", flush=True)
sys.stdin.readline()
