/** pytrace top: the most frequently entered Python functions, refreshed each interval. */
import * as fs from 'fs';
import { CallCount, countCalls, describe, pythonBinaries, PytraceError } from '../../index';
import { Command, parse, parsePid, positiveNumber, UsageError } from '../args';
import { note, Output, printHelp } from '../output';
import { header, outputWidth, row, totals, widthsFor } from '../top-layout';
import { refreshUntilStopped } from '../refresh';
import { findRuntime } from '../../sampling/runtime';
import { topSampled } from './top-sampled';

const help = `Usage: pytrace top [--pid PID]... [--interval S] [--limit N] [--iterations N] [--json]
       pytrace top --sample --pid PID [--hz N] [--interval S] [--limit N] [--iterations N] [--json]

The HOWTO's top-like view: every interval, the N most frequently entered
Python functions, as (PID, file, line, function) with their number of calls
in that interval, counted in the kernel. Without --pid: every process of
every Python binary with markers on this machine, processes started later
included. Refreshed in place on a terminal; appended blocks otherwise. The
columns are the HOWTO script's, printf("%6s %80s %6s %30s %6s\\n", PID,
FILENAME, LINE, FUNCTION, CALLS), most calls first, narrowed to fit the
terminal ($COLUMNS when set, else the terminal's width; 80 when not a
terminal): long names are elided in the middle, so a path keeps its file's
name. Under the rows, the interval's total: calls, calls per second, and
calls since the start.

Options:
  --pid PID        count only this process (repeat, or PID,PID,...)
  --interval S     seconds between refreshes (default 1)
  --limit N        rows per refresh (default 20)
  --iterations N   stop after N refreshes (default: until Ctrl-C)
  --json           one JSON object per interval (NDJSON), with the calls of
                   the interval (calls) and since the start (totalCalls)
  --sample         sample the stacks of one process instead (no markers
                   needed): per function the share of samples it ran in
                   (%OWN) and was on the stack of (%TOTAL), since the start.
                   One --pid whose build has no call markers (3.12-3.14, or
                   no markers at all) is sampled so without it, saying so
  --hz N           with --sample: samples a second of CPU time (default 99)
  -h, --help       this help

Exit status: 0 when it ran, 1 on a pytrace error, 2 on bad usage.`;

const CLEAR = '\x1b[2J\x1b[1;1H';

/**
 * Why the calls of a Python process cannot be counted (its build fires no
 * call marker); undefined if they can, or if it is not a CPython that
 * sampling can read either (countCalls then says what it is).
 */
function whyNoCalls(pid: number): string | undefined {
  let why: string;
  try {
    const entry = describe(pid).events['function-entry'];
    if (entry.available) return undefined;
    why = entry.note ?? 'This build has no call markers.';
  } catch (e) {
    if (!(e instanceof PytraceError) || e.code !== 'PYTRACE_NO_MARKERS') return undefined;
    why = `${e.message.split('. ')[0]}.`;
  }
  try {
    findRuntime(pid);
  } catch {
    return undefined;
  }
  return why;
}

/** foreach (... in fn_calls- limit N): most calls first; ties in a stable order. */
export function topN(counts: CallCount[], limit: number): CallCount[] {
  return [...counts]
    .sort(
      (a, b) =>
        b.count - a.count ||
        a.pid - b.pid ||
        a.filename.localeCompare(b.filename) ||
        a.lineno - b.lineno ||
        a.function.localeCompare(b.function),
    )
    .slice(0, limit);
}

function pidsOf(values: string[] | undefined): number[] | undefined {
  if (!values) return undefined;
  return values.flatMap((v) => v.split(',')).map((p) => parsePid('top', p.trim()));
}

function sampledOptions(values: Record<string, unknown>): Parameters<typeof topSampled>[0] {
  const only = pidsOf(values.pid as string[] | undefined);
  if (!only || only.length !== 1) throw new UsageError('--sample takes exactly one --pid', 'top');
  return {
    pid: only[0],
    hz: positiveNumber('top', 'hz', values.hz as string | undefined, 99, true),
    interval: positiveNumber('top', 'interval', values.interval as string | undefined, 1),
    limit: positiveNumber('top', 'limit', values.limit as string | undefined, 20, true),
    iterations: positiveNumber('top', 'iterations', values.iterations as string | undefined, Infinity, true),
    json: Boolean(values.json),
  };
}

export const top: Command = {
  name: 'top',
  summary: 'the most frequently called functions, system-wide or per process',
  help,
  async run(argv) {
    const {
      values,
      positionals,
      help: wantsHelp,
    } = parse('top', argv, {
      pid: { type: 'string', multiple: true },
      interval: { type: 'string' },
      limit: { type: 'string' },
      iterations: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
      sample: { type: 'boolean' },
      hz: { type: 'string' },
    });
    if (wantsHelp) return printHelp(help);
    if (values.sample) return topSampled(sampledOptions(values));
    if (values.hz !== undefined) throw new UsageError('--hz goes with --sample', 'top');
    if (positionals.length)
      throw new UsageError(`unexpected argument "${positionals[0]}" (processes are given with --pid)`, 'top');
    const pids = pidsOf(values.pid as string[] | undefined);
    const interval = positiveNumber('top', 'interval', values.interval as string | undefined, 1);
    const limit = positiveNumber('top', 'limit', values.limit as string | undefined, 20, true);
    const iterations = positiveNumber('top', 'iterations', values.iterations as string | undefined, Infinity, true);
    const json = Boolean(values.json);
    let binaries: string[] = [];
    if (!pids) {
      binaries = pythonBinaries();
      if (!binaries.length)
        throw new PytraceError(
          'PYTRACE_NO_MARKERS',
          'No Python binary with markers on this machine: nothing to count. Install one (Debian: python3.11-minimal), or pass --pid.',
        );
    }
    // Without `binaries`, the counter also takes up Pythons that appear later (containers).
    // One process whose build fires no call markers (3.12-3.14, or a build without any):
    // say so, and sample it instead, as --sample does.
    const uncountable = pids?.length === 1 ? whyNoCalls(pids[0]) : undefined;
    if (uncountable) {
      note(`PID ${pids![0]}: ${uncountable} Sampling its stacks instead (top --sample).`);
      return topSampled(sampledOptions(values));
    }
    const counter = await countCalls(pids ? { pids } : {});
    note(
      `counting calls in ${pids ? `PID ${pids.join(', ')}` : `every process of ${binaries.join(', ')} (and of Pythons started later)`}, Ctrl-C to stop`,
    );

    const out = new Output();
    let refreshes = 0;
    let totalCalls = 0;
    let failure: unknown;
    await refreshUntilStopped(out, interval, () => {
      let counts: CallCount[];
      try {
        counts = counter.read();
      } catch (e) {
        failure = e;
        return true;
      }
      const rows = topN(counts, limit);
      const calls = counts.reduce((n, c) => n + c.count, 0);
      totalCalls += calls;
      if (json) {
        out.json({
          type: 'top',
          time: new Date().toISOString(),
          interval,
          calls,
          totalCalls,
          functions: counts.length,
          top: rows,
        });
      } else {
        const w = widthsFor(rows, outputWidth(out.isTTY));
        const text = [header(w), ...rows.map((c) => row(c, w)), totals(calls, counts.length, interval, totalCalls)];
        if (out.isTTY) out.write(CLEAR + text.join('\n') + '\n');
        else out.line(text.join('\n') + '\n');
      }
      out.flush();
      if (++refreshes >= iterations) return true;
      if (pids && pids.every((p) => !fs.existsSync(`/proc/${p}`))) {
        note(`PID ${pids.join(', ')} exited`);
        return true;
      }
      return false;
    });
    await counter.close();
    await out.drained();
    if (failure) throw failure;
    return 0;
  },
};
