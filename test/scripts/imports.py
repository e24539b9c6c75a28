"""Imports a stdlib module not yet imported, then one that does not exist."""
import json
import sys

print("ready", flush=True)
sys.stdin.readline()
already = "colorsys" in sys.modules
import colorsys  # noqa: E402

try:
    import no_such_module_xyz  # noqa: F401
    missing = False
except ImportError:
    missing = True
print("result " + json.dumps({"already": already, "colorsys": colorsys.__name__, "missing": missing}), flush=True)
