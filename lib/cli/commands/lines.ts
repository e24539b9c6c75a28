/** pytrace lines PID: each Python line as it starts to run. */
import { Command } from '../args';
import { runOneLine } from '../oneline';

const help = `Usage: pytrace lines PID [--within FUNC] [--json]

Prints each line of Python code process PID is about to run (the line marker:
the first instruction of a line, or a jump back to one), until Ctrl-C (or
SIGTERM) or the process exits.

  TIMESTAMP TID /path/file.py:function:line

TIMESTAMP is in nanoseconds (CLOCK_MONOTONIC). Functions whose body is on
their "def" line give no line events.

The line marker fires on every line the program runs: it runs several times
slower while traced (which is why attach() leaves line out by default).

Options:
  --within FUNC   per thread, only the lines run from an entry of a function
                  named FUNC to its matching return, in the functions it
                  calls too
  --json          one JSON object per event (NDJSON)
  -h, --help      this help

Exit status: 0 when the trace ran, 1 on a pytrace error, 2 on bad usage.`;

export const lines: Command = {
  name: 'lines',
  summary: 'the lines a process runs',
  help,
  run: (argv) => runOneLine({ name: 'lines', help, events: ['line'], labels: false, within: true }, argv),
};
