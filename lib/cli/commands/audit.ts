/** pytrace audit PID: audit events (sys.audit, PySys_Audit) by name. */
import { Command } from '../args';
import { runOneLine } from '../oneline';

const help = `Usage: pytrace audit PID [--json]

Prints each audit event raised in process PID (sys.audit() or PySys_Audit():
open, import, exec, socket.connect, subprocess.Popen, ...), then on Ctrl-C (or
SIGTERM) or when the process exits a count per event name.

  TIMESTAMP TID EVENT(ARGUMENTS)

TIMESTAMP is in nanoseconds (CLOCK_MONOTONIC). ARGUMENTS are the first four
items of the event's argument tuple, read in the kernel at the event: str
(ASCII; first 64 bytes), bytes (first 64), int (up to 60 bits) and None by
value, any other object as <its type>. This works on CPython 3.8 to 3.15
builds that export their type objects (Debian's, Fedora's); elsewhere only the
event's name is shown.

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
      { name: 'audit', help, events: ['audit'], labels: false, summary: (s) => ({ text: s.auditSummary(), json: { audit: s.auditJson() } }) },
      argv,
    ),
};
