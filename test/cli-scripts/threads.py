"""Three threads, each calling outer(N), which calls inner() N times, once a
line arrives on stdin."""
import sys
import threading


def inner():
    pass


def outer(n):
    for _ in range(n):
        inner()


print("ready", flush=True)
sys.stdin.buffer.readline()
threads = [threading.Thread(target=outer, args=(int(sys.argv[1]),)) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
