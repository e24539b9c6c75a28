/**
 * A StackProfile from real data: an exact trace (function entries and
 * returns) of a python3.11 script, folded per thread into stacks with each
 * call's self time (its duration less its callees'), so the formats' tests
 * see real names, files and threads.
 */
import { attach, FrameEvent } from '../../lib/index';
import { StackFrame, StackProfile } from '../../lib/profile/stacks';
import { Collector, startPython, within } from './python';

interface Open {
  frame: StackFrame;
  start: bigint;
  /** Time spent in callees so far. */
  inner: bigint;
}

/** Folds entries and returns (one process, in order) into self time per stack. Returns with nothing open are skipped. */
export function selfTimeProfile(frames: FrameEvent[], names: Record<string, string> = {}): StackProfile {
  const profile = new StackProfile({ type: 'wall', unit: 'nanoseconds' });
  const open = new Map<number, Open[]>();
  for (const f of frames) {
    let stack = open.get(f.tid);
    if (!stack) open.set(f.tid, (stack = []));
    if (f.type === 'function-entry') {
      stack.push({
        frame: { function: f.function, filename: f.filename, lineno: f.lineno, firstLineno: f.lineno },
        start: f.ts,
        inner: 0n,
      });
    } else if (f.type === 'function-return' && stack.length) {
      const call = stack.pop()!;
      const duration = f.ts - call.start;
      const thread = { pid: f.pid, tid: f.tid, name: names[String(f.tid)] };
      profile.add(thread, [...stack.map((o) => o.frame), call.frame], Number(duration - call.inner));
      if (stack.length) stack[stack.length - 1].inner += duration;
    }
  }
  return profile;
}

export interface ExactRun {
  profile: StackProfile;
  pid: number;
  script: string;
  threads: Record<string, string>;
}

/** Runs test/scripts/NAME from its gate to its exit under an exact trace and folds it. */
export async function exactProfile(name: string): Promise<ExactRun> {
  const py = await startPython(name);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
  const c = new Collector(trace);
  py.go();
  const { threads } = await py.result<{ threads: Record<string, string> }>();
  await within(c.closed, 10000, 'close after the script exits');
  const frames = c.events.filter(
    (e): e is FrameEvent => e.pid === py.pid && (e.type === 'function-entry' || e.type === 'function-return'),
  );
  return { profile: selfTimeProfile(frames, threads), pid: py.pid, script: py.script, threads };
}
