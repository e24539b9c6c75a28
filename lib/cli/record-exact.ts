/**
 * pytrace record --exact: every call, gc collection, import and audit event
 * of a process (or of a command started for it) as a Trace Event timeline,
 * streamed to a file; stopped by a size cap or a duration, said so on stderr.
 * Or, in a profile format, the flame graph of exact time: each call's self
 * time under its stack (lib/profile/exact.ts), written when the trace ends.
 */
import { spawn } from 'child_process';
import * as os from 'os';
import { TraceEventWriter } from '../export/trace-event-json';
import { ExactProfiler } from '../profile/exact';
import { ProfileFormat } from '../profile/formats';
import { CliError, parse, parsePid, positiveNumber, UsageError } from './args';
import { inTerminalForeground, markerObjectFor, release } from './commands/run';
import { note, Output } from './output';
import { formatHelp, recordFormat, writeRecordedProfile } from './record-output';
import { pidLabel, runTrace, TraceSpec } from './tracing';
import { commOfPath, ThreadNames } from './threads';

export const EXACT_HELP = `Records every call and return of pure-Python functions, gc collections,
imports and audit events of process PID (or of COMMAND, traced from its first
instruction as pytrace run does) until Ctrl-C, the process's exit, --duration
or --max-size; writes them as a Trace Event (JSON) timeline that
ui.perfetto.dev and chrome://tracing open: one track per thread, each call a
slice with its file and line, gc collections and imports slices of their own,
audit events instants. Needs a build whose markers fire function entries
(3.8 to 3.11, 3.15); others give gc, imports and audit only. In a profile
format (--format collapsed, speedscope, pprof, html) it writes instead the
flame graph of exact time: each call's self time (its duration less its
callees') summed per stack and thread, in nanoseconds.

Options:
  --exact           every call, from the markers
  -o, --output F    the file to write (default: trace.json; a profile
                    format without -o goes to stdout)
${formatHelp(20)}
  --max-size N      stop recording when the file reaches about N bytes
                    (suffixes K, M, G; default 256M); the file stays complete
                    (trace-json only: a profile grows with its distinct stacks)
  --duration S      stop recording after S seconds
  -h, --help        this help

Exit status: 0 when the trace ran (with COMMAND: the command's), 1 on a
pytrace error, 2 on bad usage.`;

const SIZE = /^(\d+(?:\.\d+)?)([KMG]?)(?:i?B)?$/i;

export function parseSize(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const m = SIZE.exec(text);
  const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isFinite(n) || n < 4096)
    throw new UsageError(`--max-size wants a size of at least 4K (e.g. 64M), not "${text}"`, 'record');
  return Math.floor(n);
}

export async function recordExact(argv: string[]): Promise<number> {
  const end = argv.indexOf('--');
  const command = end < 0 ? [] : argv.slice(end + 1);
  const { values, positionals } = parse('record', end < 0 ? argv : argv.slice(0, end), {
    exact: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    'max-size': { type: 'string' },
    duration: { type: 'string' },
    format: { type: 'string' },
  });
  if (end >= 0 && !command.length) throw new UsageError('missing COMMAND after "--"', 'record');
  if (end >= 0 && positionals.length) throw new UsageError(`give a PID or "-- COMMAND", not both`, 'record');
  const pid = end < 0 ? parsePid('record', positionals.length > 1 ? undefined : positionals[0]) : null;
  const output = values.output as string | undefined;
  const format = recordFormat(true, values.format as string | undefined, output);
  if (format !== 'trace-json' && values['max-size'] !== undefined)
    throw new UsageError('--max-size caps the trace-json timeline; a profile holds each distinct stack once', 'record');
  const file = output ?? 'trace.json';
  const maxBytes = parseSize(values['max-size'] as string | undefined, 256 << 20);
  const durationS =
    values.duration === undefined ? undefined : positiveNumber('record', 'duration', values.duration as string, 0);

  const launch = command.length ? markerObjectFor(command[0]) : null;
  const names = new ThreadNames(launch ? commOfPath(launch.file) : String(pid));
  if (pid !== null) names.remember(pid);
  if (format !== 'trace-json') return recordExactProfile({ pid, command, launch, names, format, output, durationS });
  let writer: TraceEventWriter;
  let stopTrace: (() => void) | undefined;
  let cut: string | null = null;
  try {
    writer = new TraceEventWriter(file, {
      maxBytes,
      onFull: () => {
        cut = `the file reached --max-size (${formatBytes(maxBytes)})`;
        note(
          `${file} reached --max-size (${formatBytes(maxBytes)}): recording stopped, the file is complete up to here`,
        );
        stopTrace?.();
      },
      onFailed: () => stopTrace?.(),
      threadName: (p, tid) => (tid === p ? `main thread (${names.of(p, tid)})` : names.of(p, tid)),
      processName: (p) => `${names.of(p, p)} ${p}`,
    });
  } catch (e) {
    throw new CliError(`cannot write ${file}: ${(e as Error).message}`);
  }
  const spec: Omit<TraceSpec, 'target' | 'label'> = {
    options: {},
    out: new Output(),
    json: false,
    printer: { print: (ev) => writer.write(ev) },
    summary: () => {
      writer.close();
      if (writer.failed) throw new CliError(`cannot write ${file}: ${writer.failed.message}`);
      note(
        `wrote ${writer.events} trace events to ${file} (${formatBytes(writer.bytes)})${cut ? `; cut: ${cut}` : ''}`,
      );
    },
  };
  const timer = (stop: () => void) => {
    stopTrace = stop;
    if (durationS === undefined) return;
    setTimeout(() => {
      cut = `--duration ${durationS} s ended`;
      note(`--duration of ${durationS} s reached: recording stopped`);
      stop();
    }, durationS * 1000).unref();
  };
  try {
    if (!launch) {
      await runTrace({ ...spec, target: pid!, label: pidLabel, attached: (_t, stop) => timer(stop) });
      return 0;
    }
    return await recordCommand(command, launch.binary, spec, timer);
  } finally {
    writer.close();
  }
}

interface ExactProfileRun {
  pid: number | null;
  command: string[];
  launch: ReturnType<typeof markerObjectFor> | null;
  names: ThreadNames;
  format: ProfileFormat;
  output: string | undefined;
  durationS: number | undefined;
}

/** The exact flame graph: self time per stack from every entry and return, written once the trace ends. */
async function recordExactProfile(run: ExactProfileRun): Promise<number> {
  const { names } = run;
  const profiler = new ExactProfiler((p, tid) => names.of(p, tid));
  let cut: string | null = null;
  let calls = 0;
  const seen = new Set<number>();
  const spec: Omit<TraceSpec, 'target' | 'label'> = {
    options: {},
    out: new Output(),
    json: false,
    printer: {
      print: (ev) => {
        if (ev.type === 'function-return') calls++;
        // Its name read while the thread lives: the profile asks at the end.
        if (!seen.has(ev.tid)) {
          seen.add(ev.tid);
          names.of(ev.pid, ev.tid);
        }
        profiler.observe(ev);
      },
      exec: (ev) => profiler.resetProcess(ev.pid),
    },
  };
  const timer = (stop: () => void) => {
    if (run.durationS === undefined) return;
    setTimeout(() => {
      cut = `--duration ${run.durationS} s ended`;
      note(`--duration of ${run.durationS} s reached: recording stopped`);
      stop();
    }, run.durationS * 1000).unref();
  };
  const write = async () => {
    const profile = profiler.profile;
    await writeRecordedProfile(profile, run.format, run.output);
    const stacks = profile.threads().reduce((n, t) => n + t.stacks.length, 0);
    note(
      `${calls} returns: ${stacks} stacks of exact self time (${(profile.total() / 1e6).toFixed(3)} ms)` +
        `${run.output ? ` written to ${run.output} (${run.format})` : ''}${cut ? `; cut: ${cut}` : ''}`,
    );
  };
  if (run.launch) return recordCommand(run.command, run.launch.binary, spec, timer, write);
  await runTrace({ ...spec, target: run.pid!, label: pidLabel, attached: (_t, stop) => timer(stop) });
  await write();
  return 0;
}

/** As pytrace run starts its command: stopped until every probe is in place. */
async function recordCommand(
  command: string[],
  binary: string,
  spec: Omit<TraceSpec, 'target' | 'label'>,
  timer: (stop: () => void) => void,
  /** Runs once the trace has ended, before the command's exit is awaited. */
  traced?: () => Promise<void>,
): Promise<number> {
  const child = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'sh', ...command], { stdio: 'inherit' });
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0))),
  );
  let alive = true;
  let started = false;
  let stopTrace: (() => void) | undefined;
  child.on('exit', () => {
    alive = false;
    stopTrace?.();
  });
  try {
    await runTrace({
      ...spec,
      target: { binary, pid: child.pid! },
      label: (t) => `${command.join(' ')} (PID ${child.pid}, Python ${t.description.version ?? 'of unknown version'})`,
      attached: (_trace, stop) => {
        stopTrace = stop;
        timer(stop);
        started = true;
        if (!alive) return stop();
        release(child.pid!);
      },
      onSignal: (signal, stop) => {
        if (!started) {
          child.kill('SIGKILL');
          return stop();
        }
        if (!alive) return stop();
        if (!(signal === 'SIGINT' && inTerminalForeground())) child.kill(signal);
      },
    });
  } catch (e) {
    if (alive) child.kill('SIGKILL');
    throw e;
  }
  await traced?.();
  // Stopped early (size, duration): the command runs on, untraced.
  return exited;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}
