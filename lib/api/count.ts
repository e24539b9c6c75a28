/**
 * Call counts kept in the kernel (a BPF hash map keyed by pid, file, line and
 * function): the top-like view, with no per-call record leaving the kernel.
 */
import * as fs from 'fs';
import { assertTraceable, describe, describeBinary, Description } from '../discovery/describe';
import { fromNative, PytraceError } from '../errors';
import { PROVIDER } from '../markers';
import { NativeTarget, NativeTrace } from '../native';
import { discoverFile } from '../discovery/probes';
import { pathInProcess } from '../discovery/proc';
import { assertPrivileged, targetsFor } from './trace';

export interface CallCount {
  pid: number;
  filename: string;
  function: string;
  lineno: number;
  count: number;
}

export interface CountOptions {
  /** Only these processes. Default: every process of every Python binary with markers. */
  pids?: number[];
  /** Python binaries (executables or libpython) to cover; default: pythonBinaries(). */
  binaries?: string[];
}

function hasPythonMarkers(path: string): boolean {
  try {
    return discoverFile(path).locations.some((p) => p.provider === PROVIDER);
  } catch {
    return false;
  }
}

const CANDIDATE_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/lib', '/usr/lib64', '/usr/local/lib'];
const CANDIDATE = /^(?:python\d(?:\.\d+)?|libpython\d\.\d+\.so(?:\.[\d.]+)?)$/;

function candidates(dir: string, depth = 1): string[] {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const d of names) {
    const p = `${dir}/${d.name}`;
    if (CANDIDATE.test(d.name) && (d.isFile() || d.isSymbolicLink())) out.push(p);
    else if (d.isDirectory() && depth > 0 && /-linux-gnu$/.test(d.name)) out.push(...candidates(p, depth - 1));
  }
  return out;
}

/**
 * Every Python binary with markers this machine runs or could run: the usual
 * install places, and the executables and libpythons of running processes,
 * through their roots (containers included). One path per file (inode).
 */
export function pythonBinaries(): string[] {
  const paths = CANDIDATE_DIRS.flatMap((d) => candidates(d));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const root = `/proc/${entry}/root`;
      const exe = fs.readlinkSync(`/proc/${entry}/exe`);
      if (/python/.test(exe)) paths.push(root + pathInProcess(+entry, exe));
      for (const line of fs.readFileSync(`/proc/${entry}/maps`, 'utf8').split('\n')) {
        const m = / (\/\S*libpython\S*\.so\S*)$/.exec(line);
        if (m) paths.push(root + pathInProcess(+entry, m[1]));
      }
    } catch {
      /* gone, or a kernel thread */
    }
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    let key: string;
    try {
      const st = fs.statSync(p);
      key = `${st.dev}:${st.ino}`;
    } catch {
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    if (hasPythonMarkers(p)) out.push(p);
  }
  return out;
}

export class CallCounter {
  private covered = new Set<string>();

  /** Use countCalls(). */
  constructor(private native: NativeTrace | null, private readonly options: CountOptions) {}

  /** @internal */
  add(targets: NativeTarget[]): void {
    try {
      this.native!.attach(targets);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** @internal Attaches binaries not covered yet: Pythons started since. */
  coverNewBinaries(): void {
    if (this.options.pids) return;
    for (const path of this.options.binaries ?? pythonBinaries()) {
      let key: string;
      try {
        const st = fs.statSync(path);
        key = `${st.dev}:${st.ino}`;
      } catch {
        continue; // its process (and container) went away
      }
      if (this.covered.has(key)) continue;
      this.covered.add(key);
      this.add(countTargets(assertTraceable(describeBinary(path)), -1));
    }
  }

  /** Counts since the previous read (or the start), most frequent first. */
  read(): CallCount[] {
    if (!this.native) throw new PytraceError('PYTRACE_CLOSED', 'The call counter is closed.');
    const counts = this.native.takeCallCounts();
    if (!this.options.binaries) this.coverNewBinaries();
    return counts.sort((a, b) => b.count - a.count);
  }

  async close(): Promise<void> {
    this.native?.close();
    this.native = null;
  }
}

function countTargets(d: Description, pid: number): NativeTarget[] {
  if (!d.events['function-entry'].available)
    return []; // a build without call markers has nothing to count
  return targetsFor(d, ['function-entry'], undefined, 'count').map((t) => ({ ...t, pid }));
}

export async function countCalls(options: CountOptions = {}): Promise<CallCounter> {
  assertPrivileged();
  let native: NativeTrace;
  try {
    native = new NativeTrace(
      { pid: -1, transport: 'ring', ringBytes: 4096, wakeupBytes: 0, drainMs: 1000, minDrainGapUs: 250, batchBytes: 4096, maxPendingBatches: 1, dropWhenBehind: true, perfPages: 1 },
      () => undefined,
    );
  } catch (e) {
    throw fromNative(e);
  }
  native.unref();
  const counter = new CallCounter(native, options);
  try {
    if (options.pids) for (const pid of options.pids) counter.add(countTargets(assertTraceable(describe(pid)), pid));
    else counter.coverNewBinaries();
  } catch (e) {
    await counter.close();
    throw e;
  }
  return counter;
}
