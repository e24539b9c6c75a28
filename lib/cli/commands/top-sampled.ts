/**
 * pytrace top --sample: where a process's CPU time goes, like py-spy top:
 * per function the share of stack samples it was running in (own) and on the
 * stack of (total), since the start, refreshed each interval. Works without
 * markers.
 */
import { profile, SampleEvent } from '../../api/profile';
import { printable } from '../escape';
import { note, Output } from '../output';
import { elideMiddle, outputWidth } from '../top-layout';
import { refreshUntilStopped } from '../refresh';

export interface SampledTopOptions {
  pid: number;
  hz: number;
  interval: number;
  limit: number;
  iterations: number;
  json: boolean;
}

export interface FunctionShare {
  function: string;
  filename: string;
  own: number;
  total: number;
}

/** Counts per function: own when innermost, total once per sample it is on the stack of. */
export class FunctionShares {
  private byKey = new Map<string, FunctionShare>();
  samples = 0;

  add(s: SampleEvent): void {
    this.samples++;
    const seen = new Set<string>();
    s.frames.forEach((f, i) => {
      const key = `${f.filename}\0${f.function}`;
      let e = this.byKey.get(key);
      if (!e) this.byKey.set(key, (e = { function: f.function, filename: f.filename, own: 0, total: 0 }));
      if (i === 0) e.own++;
      if (!seen.has(key)) e.total++;
      seen.add(key);
    });
  }

  /** Most own samples first, then most total. */
  top(limit: number): FunctionShare[] {
    return [...this.byKey.values()]
      .sort((a, b) => b.own - a.own || b.total - a.total || a.function.localeCompare(b.function))
      .slice(0, limit);
  }
}

const CLEAR = '\x1b[2J\x1b[1;1H';

function render(shares: FunctionShares, limit: number, width: number, pid: number): string {
  const pct = (n: number) => (shares.samples ? ((100 * n) / shares.samples).toFixed(1) : '0.0').padStart(6) + '%';
  const name = Math.max(20, width - 2 * 7 - 2 * 8 - 5);
  const lines = [
    `${'%OWN'.padStart(7)} ${'%TOTAL'.padStart(7)} ${'OWN'.padStart(8)} ${'TOTAL'.padStart(8)}  FUNCTION (FILE)`,
  ];
  for (const f of shares.top(limit))
    lines.push(
      `${pct(f.own)} ${pct(f.total)} ${String(f.own).padStart(8)} ${String(f.total).padStart(8)}  ${elideMiddle(`${printable(f.function)} (${printable(f.filename)})`, name)}`,
    );
  lines.push(`PID ${pid}: ${shares.samples} sample${shares.samples === 1 ? '' : 's'} since the start`);
  return lines.join('\n') + '\n';
}

export async function topSampled(o: SampledTopOptions): Promise<number> {
  const p = await profile(o.pid, { hz: o.hz });
  const shares = new FunctionShares();
  p.on('sample', (s) => shares.add(s));
  note(`sampling PID ${o.pid} at ${o.hz} Hz, Ctrl-C to stop`);
  const out = new Output();
  let refreshes = 0;
  await refreshUntilStopped(
    out,
    o.interval,
    () => {
      if (o.json)
        out.json({
          type: 'top-sample',
          time: new Date().toISOString(),
          pid: o.pid,
          samples: shares.samples,
          top: shares.top(o.limit),
        });
      else {
        const text = render(shares, o.limit, outputWidth(out.isTTY), o.pid);
        if (out.isTTY) out.write(CLEAR + text);
        else out.line(text);
      }
      out.flush();
      return ++refreshes >= o.iterations;
    },
    p,
  );
  if (p.closed) note(`PID ${o.pid} exited`);
  await p.close();
  await out.drained();
  return 0;
}
