/** pytrace gc PID: garbage collections, each with its duration. */
import { Command } from '../args';
import { runOneLine } from '../oneline';

const help = `Usage: pytrace gc PID [--json]

Prints each garbage collection of process PID as it starts and ends, then on
Ctrl-C (or SIGTERM) or when the process exits a summary: collections per
generation, objects collected, total, average and longest durations.

  TIMESTAMP TID gc-start               generation G
  TIMESTAMP TID gc-done                generation G, collected N, DURATION

TIMESTAMP is in nanoseconds (CLOCK_MONOTONIC); DURATION runs from the
collection's gc-start to its gc-done on the same thread. "collected" counts
collected plus uncollectable objects, as the gc__done marker reports them.

Options:
  --json       one JSON object per event (NDJSON): gc-done objects carry
               durationNs and generation; the last object is the summary
  -h, --help   this help

Exit status: 0 when the trace ran, 1 on a pytrace error, 2 on bad usage.`;

export const gc: Command = {
  name: 'gc',
  summary: 'garbage collections with their durations',
  help,
  run: (argv) =>
    runOneLine(
      {
        name: 'gc',
        help,
        events: ['gc-start', 'gc-done'],
        labels: true,
        summary: (s) => ({ text: s.gcSummary(), json: { gc: s.gcJson() } }),
      },
      argv,
    ),
};
