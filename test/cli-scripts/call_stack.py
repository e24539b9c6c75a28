def function_1():
    function_3(1, 2)

# Called through another function: a deeper stack.
def function_2():
    function_1()

# Positional arguments.
def function_3(dummy, dummy2):
    pass

# Keyword arguments; the second return is never reached.
def function_4(**dummy):
    return 1
    return 2

# Unpacked positional and keyword arguments.
def function_5(dummy, dummy2, **dummy3):
    if False:
        return 7
    return 8

def start():
    function_1()
    function_2()
    function_3(1, 2)
    function_4(test=42)
    function_5(*(1, 2), **{"test": 42})

# The call tree and its line numbers above are those of the HOWTO's
# call_stack.py. A test attaches while this waits for a line on stdin
# (read as bytes: decoding would run Python code), then it makes the calls,
# and waits again until stdin closes.
import sys

print("ready", flush=True)
sys.stdin.buffer.readline()
function_3(0, 0)
start()
function_4()
sys.stdin.buffer.readline()
