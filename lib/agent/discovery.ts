/**
 * The Python processes of the host, found by scanning /proc: each scan looks
 * only at processes it has not seen (a new pid, start time or executable),
 * reads their executable and mapped libpython through their own root
 * (containers included), and keeps, per file (device and inode), whether it
 * carries CPython's markers. Processes seen before and gone now have exited.
 */
import * as fs from 'fs';
import { discoverFile } from '../discovery/probes';
import { pathInProcess } from '../discovery/proc';
import { PROVIDER } from '../markers';

export interface PythonProcess {
  pid: number;
  /** The file with the markers (executable or libpython) as the process names it: the `binary` label. */
  binary: string;
  /** The same file, reachable from here: by a path that outlives the process where there is one, else through /proc/PID/root. */
  hostPath: string;
  /** Its device and inode: one attachment per file covers every process that maps it. */
  fileKey: string;
}

interface Seen {
  /** The start time and executable: a pid reused, or an exec, is a new process. */
  identity: string;
  python: PythonProcess | null;
}

export interface ScanResult {
  started: PythonProcess[];
  exited: PythonProcess[];
}

function identityOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which may hold spaces and parentheses.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${start} ${fs.readlinkSync(`/proc/${pid}/exe`)}`;
  } catch {
    return null; // gone, or a kernel thread (no executable)
  }
}

export class PythonProcesses {
  private seen = new Map<number, Seen>();
  private marked = new Map<string, boolean>();

  /** Only these pids (the agent's --pid), or every process. */
  constructor(private readonly only?: readonly number[]) {}

  scan(): ScanResult {
    const pids =
      this.only ??
      fs
        .readdirSync('/proc')
        .filter((e) => /^\d+$/.test(e))
        .map(Number);
    const present = new Set<number>();
    const started: PythonProcess[] = [];
    const exited: PythonProcess[] = [];
    for (const pid of pids) {
      const identity = identityOf(pid);
      if (identity === null) continue;
      present.add(pid);
      const before = this.seen.get(pid);
      if (before && before.identity === identity) continue;
      if (before?.python) exited.push(before.python);
      const python = this.inspect(pid);
      this.seen.set(pid, { identity, python });
      if (python) started.push(python);
    }
    for (const [pid, s] of this.seen) {
      if (present.has(pid)) continue;
      this.seen.delete(pid);
      if (s.python) exited.push(s.python);
    }
    return { started, exited };
  }

  /** A process seen in the last scan, if it runs a Python with markers. */
  get(pid: number): PythonProcess | undefined {
    return this.seen.get(pid)?.python ?? undefined;
  }

  /** A process `pid`, looked at now if the last scan did not see it (it started since). */
  lookup(pid: number): PythonProcess | undefined {
    const s = this.seen.get(pid);
    if (s) return s.python ?? undefined;
    if (this.only && !this.only.includes(pid)) return undefined;
    const identity = identityOf(pid);
    if (identity === null) return undefined;
    const python = this.inspect(pid);
    this.seen.set(pid, { identity, python });
    return python ?? undefined;
  }

  /** The Python processes alive at the last scan. */
  all(): PythonProcess[] {
    return [...this.seen.values()].flatMap((s) => (s.python ? [s.python] : []));
  }

  /** The file of `pid` that carries the markers: its executable, else a mapped libpython. */
  private inspect(pid: number): PythonProcess | null {
    const root = `/proc/${pid}/root`;
    const names: string[] = [];
    try {
      const exe = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
      if (/python/.test(exe)) names.push(pathInProcess(pid, exe));
      for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const m = / (\/\S*libpython\S*\.so\S*)$/.exec(line);
        if (m) names.push(pathInProcess(pid, m[1]));
      }
    } catch {
      return null; // gone meanwhile
    }
    for (const binary of new Set(names)) {
      const fileKey = keyOf(root + binary);
      if (fileKey === null) continue;
      let marked = this.marked.get(fileKey);
      if (marked === undefined) this.marked.set(fileKey, (marked = hasPythonMarkers(root + binary)));
      if (marked) return { pid, binary, hostPath: lastingPath(pid, binary, fileKey), fileKey };
    }
    return null;
  }
}

function keyOf(path: string): string | null {
  try {
    const st = fs.statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * A path to the same file that outlives the process, where there is one: its
 * root's path as we see it (the host's own root, or a container's directory).
 * Else /proc/PID/root/..., which goes with the process.
 */
function lastingPath(pid: number, binary: string, fileKey: string): string {
  try {
    const root = fs.readlinkSync(`/proc/${pid}/root`);
    const path = root === '/' ? binary : root + binary;
    if (keyOf(path) === fileKey) return path;
  } catch {
    /* gone, or its root is out of our sight */
  }
  return `/proc/${pid}/root${binary}`;
}

function hasPythonMarkers(path: string): boolean {
  try {
    return discoverFile(path).locations.some((p) => p.provider === PROVIDER);
  } catch {
    return false;
  }
}
