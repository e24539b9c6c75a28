/** pytrace audit PID: audit events (sys.audit, PySys_Audit) by name. */
import { Command } from '../args';
import { runOneLine } from '../oneline';

const help = `Usage: pytrace audit PID [--json]

Prints each audit event raised in process PID (sys.audit() or PySys_Audit():
open, import, exec, socket.connect, subprocess.Popen, ...), then on Ctrl-C (or
SIGTERM) or when the process exits a count per event name.

  TIMESTAMP TID EVENT(ARGUMENTS)

TIMESTAMP is in nanoseconds (CLOCK_MONOTONIC). ARGUMENTS are the first six
items of the event's argument tuple, read in the kernel at the event and shown
as Python's repr() shows them: str and bytes (first 256 bytes), int (up to 240
bits), None, and tuples in it (first four items), by value; any other object as
<its type>. A value cut short ends in "…". With --json: str as a string, bytes
as {"bytes": "<hex>"}, int as a number, None as null, a tuple as an array; a
cut value as {"str"|"bytes"|"tuple": ..., "truncated": true}; other objects as
{"type": "<its type>"}. This works on CPython 3.8 to 3.15 builds that export
their type objects (Debian's, Fedora's); elsewhere only the event's name is
shown.

Options:
  --json       one JSON object per event (NDJSON); the last is the summary
  -h, --help   this help

Exit status: 0 when the trace ran, 1 on a pytrace error, 2 on bad usage.`;

export const audit: Command = {
  name: 'audit',
  summary: 'audit events (open, import, exec, ...)',
  help,
  run: (argv) =>
    runOneLine(
      {
        name: 'audit',
        help,
        events: ['audit'],
        labels: false,
        summary: (s) => ({ text: s.auditSummary(), json: { audit: s.auditJson() } }),
      },
      argv,
    ),
};
