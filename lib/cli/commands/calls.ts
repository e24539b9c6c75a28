/** pytrace calls PID: the call hierarchy, as call_stack.d or show-call-hierarchy.stp print it. */
import { CallSummaryPrinter } from '../call-table';
import { Command, exactlyOne, formatOption, parse, parsePid } from '../args';
import { Output, printHelp } from '../output';
import { EventStats } from '../pairing';
import { HIERARCHY_FORMATS, HierarchyPrinter } from '../printers';
import { pidLabel, runTrace } from '../tracing';
import { ThreadNames } from '../threads';

const help = `Usage: pytrace calls PID [--within FUNC] [--subprocesses] [--format dtrace|stap|json] [--json] [--summary]

Prints every call and return of pure-Python functions in process PID, indented
by depth per thread, until Ctrl-C (or SIGTERM) or the process exits.

Options:
  --within FUNC   per thread, only from an entry of a function named FUNC
                  (in any file) to its matching return, with the calls it
                  makes, recursion included: as the HOWTO's call_stack.d
                  does for "start"
  --subprocesses  also the processes PID forks from now on (os.fork,
                  multiprocessing), each from its first instruction; the
                  trace ends when the last traced process exits
  --format F      dtrace (default): as the HOWTO's call_stack.d prints:
                    TIMESTAMP<tab>  function-entry:  file.py:func:line
                  timestamp in nanoseconds (CLOCK_MONOTONIC), probe name
                  right-aligned in 15 columns, one space per depth, base name
                  of the file
                  stap: as show-call-hierarchy.stp prints with thread_indent():
                    MICROSECONDS comm(tid): => func in /path/file.py:line
                  microseconds since the thread was last at depth 0, one
                  space per depth, "=>" entry, "<=" return
                  json: one JSON object per event (NDJSON), with its depth
  --json          same as --format json
  --summary       print no events: at the end, per function its calls and
                  its total (inclusive), self, mean and max time, by self
                  time (with --json: one JSON object). A recursive
                  function's total and mean count its outermost calls
  -h, --help      this help

Exit status: 0 when the trace ran, 1 on a pytrace error, 2 on bad usage.`;

export const calls: Command = {
  name: 'calls',
  summary: 'the call hierarchy of a process (DTrace, SystemTap or JSON layout)',
  help,
  async run(argv) {
    const {
      values,
      positionals,
      help: wantsHelp,
    } = parse('calls', argv, {
      within: { type: 'string' },
      subprocesses: { type: 'boolean' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      summary: { type: 'boolean' },
    });
    if (wantsHelp) return printHelp(help);
    const pid = parsePid('calls', exactlyOne('calls', positionals, 'PID'));
    const format = formatOption('calls', values, HIERARCHY_FORMATS, 'dtrace');
    const within = values.within as string | undefined;
    const out = new Output();
    const names = new ThreadNames(String(pid));
    names.remember(pid);
    const table = values.summary ? new CallSummaryPrinter() : null;
    await runTrace({
      target: pid,
      options: { events: ['function-entry', 'function-return'], within, subprocesses: values.subprocesses === true },
      out,
      json: format === 'json',
      printer: table ?? new HierarchyPrinter(format, out, new EventStats(), names),
      summary: table ? (o, trace) => table.write(o, format === 'json', { pid: trace.pid }) : undefined,
      label: (t) => pidLabel(t) + (within ? `, within ${within}()` : ''),
    });
    return 0;
  },
};
