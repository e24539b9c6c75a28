"""Starts processes of its own interpreter in rounds: argv[1] rounds of
argv[2] processes that each wait for the end of their stdin. Per round:
"started", then on a line on stdin it ends them, waits for them, "ended"."""
import subprocess
import sys

for _ in range(int(sys.argv[1])):
    procs = [
        subprocess.Popen([sys.executable, "-S", "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        for _ in range(int(sys.argv[2]))
    ]
    print("started", flush=True)
    sys.stdin.readline()
    for p in procs:
        p.stdin.close()
    for p in procs:
        p.wait()
    print("ended", flush=True)
