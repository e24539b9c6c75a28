/**
 * pytrace run -- COMMAND: start a command and trace it from its first
 * instruction, like `dtrace -c` / `stap -c`.
 *
 * The command starts under `sh`, which stops itself before it execs: the
 * probes go on the Python binary's inode, filtered to that PID (which exec
 * keeps), and the kernel installs them, and raises the semaphores, when the
 * exec maps the binary. Only then does it get SIGCONT. (A stop rather than a
 * pipe to wait on: closing a pipe's socket makes Node open process.stderr,
 * which turns the descriptor the command shares non-blocking.)
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { describeBinary, EVENT_NAMES, EventName, PytraceError } from '../../index';
import { assertTraceable } from '../../discovery/describe';
import { Command, formatOption, oneOf, parse, UsageError } from '../args';
import { note, Output, printHelp } from '../output';
import { EventStats } from '../pairing';
import { HIERARCHY_FORMATS, HierarchyPrinter } from '../printers';
import { markerObjectOf } from '../../discovery/binaries';
import { resolveCommand } from '../resolve';
import { runTrace } from '../tracing';
import { commOfPath, ThreadNames } from '../threads';

const help = `Usage: pytrace run [options] [--] COMMAND [ARG...]

Starts COMMAND and traces it from its first instruction, as dtrace -c and
stap -c do: interpreter start-up and the script's module-level code included.
COMMAND is a Python with markers (pytrace run -- /usr/bin/python3.11 app.py),
a script whose "#!" line leads to one, or a program linking a libpython with
markers. Prints the call hierarchy, with garbage collections and imports in
their place, until the command exits; then a summary.

Options:
  --mode M        what to trace: calls (default: calls and returns, gc,
                  imports), lines, gc, imports, audit, or all (every
                  event the build fires but line, which --events adds)
  --events LIST   exactly these events, comma-separated, instead of --mode:
                  function-entry, function-return, line, gc-start, gc-done,
                  import-find-load-start, import-find-load-done, audit
  --within FUNC   per thread, only from an entry of a function named FUNC
                  (in any file) to its matching return
  --no-subprocesses
                  only COMMAND's own process: the processes it forks run
                  untraced (by default they are traced from their first
                  instruction, and tracing ends when the last one exits)
  --format F      dtrace (default), stap or json: see pytrace calls --help
  --json          same as --format json
  -o, --output F  write the trace to file F, apart from the command's output
                  (on stdout the two interleave; pytrace's lines stay whole)
  -h, --help      this help

Ctrl-C in the terminal reaches the command as usual, and tracing ends when it
exits; a second Ctrl-C stops tracing at once. SIGINT or SIGTERM sent to pytrace
alone is passed on to the command.

Exit status: the command's (128+N when signal N ended it); 1 on a pytrace
error, 2 on bad usage, 126 or 127 when COMMAND cannot be run or is not found.`;

const MODES = ['calls', 'lines', 'gc', 'imports', 'audit', 'all'] as const;
type Mode = (typeof MODES)[number];

const MODE_EVENTS: Record<Mode, EventName[] | undefined> = {
  calls: [
    'function-entry',
    'function-return',
    'gc-start',
    'gc-done',
    'import-find-load-start',
    'import-find-load-done',
  ],
  lines: ['line'],
  gc: ['gc-start', 'gc-done'],
  imports: ['import-find-load-start', 'import-find-load-done'],
  audit: ['audit'],
  // The library's default: every event this build fires but line.
  all: undefined,
};

const VALUE_OPTIONS = new Set(['mode', 'events', 'within', 'format', 'output', 'o']);

/** pytrace's options end at "--" or at the first word that is not an option: the command's own start there. */
export function splitCommand(argv: string[]): [string[], string[]] {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') return [argv.slice(0, i), argv.slice(i + 1)];
    if (!a.startsWith('-') || a === '-') break;
    const name = a.replace(/^--?/, '');
    i += VALUE_OPTIONS.has(name) ? 2 : 1;
  }
  return [argv.slice(0, i), argv.slice(i)];
}

function parseEvents(text: string): EventName[] {
  const events = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of events)
    if (!(EVENT_NAMES as readonly string[]).includes(e))
      throw new UsageError(`unknown event "${e}"; events: ${EVENT_NAMES.join(', ')}`, 'run');
  if (!events.length) throw new UsageError('--events wants at least one event', 'run');
  return events as EventName[];
}

/** The object to attach to, or an error that says how COMMAND led to it. */
export function markerObjectFor(command: string): { binary: string; file: string } {
  const resolved = resolveCommand(command);
  const binary = markerObjectOf(resolved.binary);
  const named = command === resolved.file ? command : `${command} (${resolved.file})`;
  const script =
    resolved.chain.length > 1 ? `${named} is a script for ${resolved.chain.slice(1).join(', a script for ')}` : '';
  try {
    assertTraceable(describeBinary(binary));
  } catch (e) {
    if (!(e instanceof PytraceError)) throw e;
    if (e.code === 'PYTRACE_NOT_PYTHON')
      throw new PytraceError(
        e.code,
        `${script ? script + ', which' : resolved.file} is not a Python: run a Python built with markers directly, e.g. pytrace run -- /usr/bin/python3.11 script.py.`,
      );
    throw script ? new PytraceError(e.code, `${script}. ${e.message}`) : e;
  }
  return { binary, file: resolved.file };
}

export const run: Command = {
  name: 'run',
  summary: 'start a command and trace it from its first instruction',
  help,
  async run(argv) {
    const [own, command] = splitCommand(argv);
    const {
      values,
      positionals,
      help: wantsHelp,
    } = parse(
      'run',
      own,
      {
        mode: { type: 'string' },
        events: { type: 'string' },
        within: { type: 'string' },
        'no-subprocesses': { type: 'boolean' },
        format: { type: 'string' },
        json: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
      },
      false,
    );
    if (wantsHelp) return printHelp(help);
    if (positionals.length || !command.length)
      throw new UsageError('missing COMMAND (pytrace run -- /usr/bin/python3.11 script.py)', 'run');
    const format = formatOption('run', values, HIERARCHY_FORMATS, 'dtrace');
    if (values.mode !== undefined && values.events !== undefined)
      throw new UsageError('give --mode or --events, not both', 'run');
    const mode = oneOf('run', 'mode', values.mode as string | undefined, MODES, 'calls');
    const events = values.events !== undefined ? parseEvents(values.events as string) : MODE_EVENTS[mode];
    const within = values.within as string | undefined;

    const { binary, file } = markerObjectFor(command[0]);
    const out = new Output({ file: values.output as string | undefined, wholeLines: true });
    const child = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'sh', ...command], { stdio: 'inherit' });
    const exited = new Promise<number>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0))),
    );
    let alive = true;
    let abandoned = false;
    let signals = 0;
    let stopTrace: (() => void) | undefined;
    child.on('exit', () => {
      alive = false;
      stopTrace?.();
    });

    const stats = new EventStats();
    try {
      await runTrace({
        target: { binary, pid: child.pid! },
        options: { events, within, subprocesses: values['no-subprocesses'] !== true },
        out,
        json: format === 'json',
        printer: new HierarchyPrinter(format, out, stats, new ThreadNames(commOfPath(file))),
        label: (t) =>
          `${command.join(' ')} (PID ${child.pid}, Python ${t.description.version ?? 'of unknown version'}, markers in ${binary})`,
        attached: (_trace, stop) => {
          stopTrace = stop;
          if (!alive) return stop();
          release(child.pid!);
        },
        onSignal: (signal, stop) => {
          signals++;
          if (!stopTrace) {
            // Not started yet: it never runs.
            child.kill('SIGKILL');
            return stop();
          }
          if (!alive || signals > 1) {
            abandoned = alive;
            return stop();
          }
          // A Ctrl-C typed in the terminal reaches the command too (same process
          // group): a second SIGINT could cut its clean-up short.
          if (!(signal === 'SIGINT' && inTerminalForeground())) child.kill(signal);
        },
        summary: (o, trace) => printSummaries(o, stats, trace.events, format === 'json'),
      });
    } catch (e) {
      if (alive) child.kill('SIGKILL');
      throw e;
    }
    if (abandoned && alive) {
      note(`PID ${child.pid} still runs, no longer traced`);
      return 130;
    }
    return exited;
  },
};

/** Resumes the wrapper shell once it has stopped itself (it has, unless the machine is very slow). */
export function release(pid: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 5000; waited++) {
    let state: string;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return; // gone: its exit ends the trace
    }
    if (state === 'T') break;
    Atomics.wait(pause, 0, 0, 1);
  }
  process.kill(pid, 'SIGCONT');
}

/** Whether this process is in its terminal's foreground process group (/proc/self/stat: pgrp, tpgid). */
export function inTerminalForeground(): boolean {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const [, , pgrp, , , tpgid] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return false;
  }
}

function printSummaries(out: Output, stats: EventStats, events: readonly EventName[], json: boolean): void {
  const gc = events.includes('gc-done');
  const imports = events.includes('import-find-load-done');
  const audit = events.includes('audit');
  if (json) {
    out.json({
      type: 'summary',
      ...(gc ? { gc: stats.gcJson() } : {}),
      ...(imports ? { imports: stats.importJson() } : {}),
      ...(audit ? { audit: stats.auditJson() } : {}),
    });
    return;
  }
  for (const lines of [gc && stats.gcSummary(), imports && stats.importSummary(), audit && stats.auditSummary()])
    if (lines) for (const l of lines) out.line(l);
}
