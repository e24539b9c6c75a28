/**
 * Call counts kept in the kernel (a BPF hash map keyed by pid, line and the
 * addresses of the file and function names, in a code generation): the
 * top-like view, with no per-call record leaving the kernel. The kernel reads
 * each name once per generation; see native/bpf/call_counts.bpf.h.
 */
import * as fs from 'fs';
import { assertTraceable, describe, describeBinary, Description } from '../discovery/describe';
import { fromNative, PytraceError } from '../errors';
import { PROVIDER } from '../markers';
import { layout, NativeCallCount, NativeCountName, NativeTarget, NativeTrace } from '../native';
import { pathInProcess } from '../discovery/proc';
import { codeCreationTarget } from '../planning/spec';
import { nameText, readTargetString } from '../stream/target-strings';
import { discoverFile } from '../discovery/probes';
import { assertPrivileged } from './trace';
import { targetsFor } from '../planning/targets';
import { placeInProcess } from '../planning/addresses';

export interface CallCount {
  pid: number;
  filename: string;
  function: string;
  lineno: number;
  count: number;
  /** The file or function name was longer than 4096 bytes: cut on a character boundary. */
  truncated?: true;
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
  constructor(
    private native: NativeTrace | null,
    private readonly options: CountOptions,
  ) {}

  /** @internal */
  add(targets: NativeTarget[]): void {
    try {
      this.native!.attach(targets);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** @internal Attaches binaries not covered yet: Pythons started since (or those of `paths`). */
  coverNewBinaries(paths?: string[]): void {
    if (this.options.pids) return;
    for (const path of paths ?? this.options.binaries ?? pythonBinaries()) {
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
    const counts = merged(this.native.takeCallCounts());
    if (!this.options.binaries) this.coverNewBinaries();
    return counts.sort((a, b) => b.count - a.count);
  }

  async close(): Promise<void> {
    this.native?.close();
    this.native = null;
  }
}

const NAME = layout.nameFlags;

function nameOf(pid: number, n: NativeCountName): { text: string; truncated: boolean } {
  if (n.flags & NAME.PT_NAME_UNREAD) return readTargetString(pid, n.address) ?? { text: '<unknown>', truncated: false };
  const truncated = (n.flags & NAME.PT_NAME_TRUNCATED) !== 0;
  return { text: nameText(n.bytes, 0, n.bytes.length, truncated), truncated };
}

/** One count per (pid, file, line, function): the kernel's are per code generation too. */
function merged(raw: NativeCallCount[]): CallCount[] {
  const byName = new Map<string, CallCount>();
  for (const r of raw) {
    const file = nameOf(r.pid, r.filename);
    const fn = nameOf(r.pid, r.function);
    const key = JSON.stringify([r.pid, file.text, r.lineno, fn.text]);
    const seen = byName.get(key);
    if (seen) {
      seen.count += r.count;
      continue;
    }
    const c: CallCount = { pid: r.pid, filename: file.text, function: fn.text, lineno: r.lineno, count: r.count };
    if (file.truncated || fn.truncated) c.truncated = true;
    byName.set(key, c);
  }
  return [...byName.values()];
}

function countTargets(d: Description, pid: number): NativeTarget[] {
  if (!d.events['function-entry'].available) return []; // a build without call markers has nothing to count
  const targets = targetsFor(d, ['function-entry'], undefined, 'count').map((t) => ({ ...t, pid }));
  // Counts are kept by name address: a code object created may reuse one.
  // (Without the constructor's symbol, each read still starts a generation.)
  const entry = d.locations.find((l) => l.name === 'function__entry');
  const created = entry && codeCreationTarget(entry);
  if (created) targets.unshift({ ...created, pid });
  placeInProcess(targets, pid);
  return targets;
}

export async function countCalls(options: CountOptions = {}): Promise<CallCounter> {
  assertPrivileged();
  let native: NativeTrace;
  try {
    native = new NativeTrace(
      {
        pid: -1,
        transport: 'ring',
        ringBytes: 4096,
        wakeupBytes: 0,
        drainMs: 1000,
        minDrainGapUs: 250,
        batchBytes: 4096,
        maxPendingBatches: 1,
        dropWhenBehind: true,
        perfPages: 1,
      },
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
