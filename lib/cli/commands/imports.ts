/** pytrace imports PID: modules imported, each with its duration. */
import { Command } from '../args';
import { runOneLine } from '../oneline';

const help = `Usage: pytrace imports PID [--json]

Prints each import of a module not yet in sys.modules in process PID as
importlib starts and ends finding and loading it, then on Ctrl-C (or SIGTERM)
or when the process exits a summary: imports found and not found, time spent
importing, the slowest.

  TIMESTAMP TID import-find-load-start MODULE
  TIMESTAMP TID import-find-load-done  MODULE found|not found, DURATION

TIMESTAMP is in nanoseconds (CLOCK_MONOTONIC); DURATION runs from the start to
the done of the same module on the same thread, and includes the imports it
triggers (printed between the two).

Options:
  --json       one JSON object per event (NDJSON): done objects carry
               durationNs; the last object is the summary
  -h, --help   this help

Exit status: 0 when the trace ran, 1 on a pytrace error, 2 on bad usage.`;

export const imports: Command = {
  name: 'imports',
  summary: 'module imports with their durations',
  help,
  run: (argv) =>
    runOneLine(
      {
        name: 'imports',
        help,
        events: ['import-find-load-start', 'import-find-load-done'],
        labels: true,
        summary: (s) => ({ text: s.importSummary(), json: { imports: s.importJson() } }),
      },
      argv,
    ),
};
