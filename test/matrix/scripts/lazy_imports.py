"""3.15 only: a lazy "from package import submodule" loads the submodule
through the second location of each import marker. No json import up front:
the lazy import below loads the package too."""
import sys

print("ready", flush=True)
sys.stdin.readline()
sys.audit("pytrace.mark", "begin")
lazy from json import tool  # 3.15 syntax

name = tool.__name__
sys.audit("pytrace.mark", "end")
print('result "%s"' % name, flush=True)
