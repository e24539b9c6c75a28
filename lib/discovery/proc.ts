/**
 * What /proc says about a process, read once per attach into a TargetProcess:
 * its executable, root, mappings and the objects to read markers from, seen
 * through its own root (or, for a file replaced since it was mapped, through
 * the mapping itself).
 */
import * as fs from 'fs';
import { PytraceError } from '../errors';
import { wantsNamespaceIds } from './namespaces';

export interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  perms: string;
  /** As the process names it (inside its root), without the kernel's " (deleted)". */
  path: string;
  /** The file was deleted, or replaced (as a package upgrade does), since it was mapped. */
  deleted: boolean;
}

/** A file-backed object mapped executable: where its markers are read from. */
export interface MappedObject {
  /** As the process names it. */
  path: string;
  /**
   * Where this process opens it: through the target's root; for a replaced
   * file, the mapped inode itself (/proc/PID/map_files/START-END), since the
   * path now names another file.
   */
  openPath: string;
  replaced: boolean;
}

/** Everything an attach needs from /proc, read once. */
export interface TargetProcess {
  pid: number;
  /** The process's root directory, as we see it ("/" unless chroot'ed). */
  root: string;
  /** The executable, as the process names it. */
  exe: string;
  maps: Mapping[];
  /** Distinct file-backed objects mapped executable, the executable first. */
  objects: MappedObject[];
  /** The process is in another PID namespace than ours (a container). */
  otherPidNamespace: boolean;
}

/** /proc/PID/stat's fields that pytrace uses. */
export interface ProcStat {
  pid: number;
  /** The command name, which may contain spaces and parentheses. */
  comm: string;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
  tpgid: number;
  /** PF_* flags (PF_KTHREAD: a kernel thread). */
  flags: bigint;
  /** Clock ticks after boot. */
  startTime: bigint;
}

/** Parses /proc/PID/stat: comm is whatever lies between the first "(" and the last ")". */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/PID/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // f[0] is field 3 (state); stat(5) numbers the fields from 1.
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    ttyNr: Number(f[4]),
    tpgid: Number(f[5]),
    flags: BigInt(f[6]),
    startTime: BigInt(f[19]),
  };
}

/** /proc/PID/stat, parsed; null once the process is gone. */
export function readStat(pid: number | 'self'): ProcStat | null {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

function assertPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0)
    throw new PytraceError('PYTRACE_NO_PROCESS', `"${pid}" is not a process id: pass a positive integer PID.`);
}

function readProc(pid: number, what: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch (e) {
    throw procError(pid, what, e);
  }
}

function procError(pid: number, what: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH')
    return new PytraceError('PYTRACE_NO_PROCESS', `Process ${pid} exited (reading /proc/${pid}/${what}).`);
  if (code === 'EACCES' || code === 'EPERM')
    return new PytraceError(
      'PYTRACE_PERMISSION',
      `Cannot read /proc/${pid}/${what}: permission denied. Run as root, or with CAP_SYS_PTRACE to trace another user's process (and CAP_BPF, CAP_PERFMON).`,
    );
  return e;
}

/** The status lines that tell a process from a thread, and a zombie. */
function readStatus(pid: number): { tgid?: number; state?: string } {
  if (!fs.existsSync(`/proc/${pid}`))
    throw new PytraceError('PYTRACE_NO_PROCESS', `No process has PID ${pid}: check the PID (ps -e | grep python).`);
  const status = readProc(pid, 'status');
  const tgid = /^Tgid:\s*(\d+)$/m.exec(status)?.[1];
  return { tgid: tgid === undefined ? undefined : Number(tgid), state: /^State:\s*(\S)/m.exec(status)?.[1] };
}

export function assertProcess(pid: number): void {
  assertPid(pid);
  assertNotThread(pid, readStatus(pid).tgid);
}

// /proc/TID exists for every thread too, unlisted; the kernel's process handle (pidfd) refuses one.
function assertNotThread(pid: number, tgid: number | undefined): void {
  if (tgid !== undefined && tgid !== pid)
    throw new PytraceError('PYTRACE_NO_PROCESS', `${pid} is a thread of process ${tgid}, not a process: pass ${tgid}.`);
}

const DELETED = / \(deleted\)$/;

/** Parses /proc/PID/maps: file-backed mappings, their paths made relative to `root`. */
export function parseMaps(text: string, root = '/'): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
    if (!m || !m[5].startsWith('/')) continue;
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3],
      offset: BigInt('0x' + m[4]),
      path: inRoot(root, m[5].replace(DELETED, '')),
      deleted: DELETED.test(m[5]),
    });
  }
  return out;
}

/**
 * The kernel writes a chroot'ed process's paths (maps, exe) as seen from our
 * root, its root directory included; the process, and rootedPath(), want them
 * from its own root. A pivot_root'ed container's root is "/" to us: unchanged.
 */
function processRoot(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/root`);
  } catch {
    return '/'; // unreadable: leave paths as they are
  }
}

function inRoot(root: string, path: string): string {
  return root !== '/' && path.startsWith(root + '/') ? path.slice(root.length) : path;
}

/** `path` (from /proc/PID/exe or maps) as process `pid` names it. */
export function pathInProcess(pid: number, path: string): string {
  return inRoot(processRoot(pid), path);
}

function readExe(pid: number, state: string | undefined): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(DELETED, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // status is world-readable, exe is not: another user's process refuses here.
    if (code === 'EACCES' || code === 'EPERM')
      throw new PytraceError(
        'PYTRACE_PERMISSION',
        `Cannot read /proc/${pid}/exe: permission denied. Run as root, or with CAP_SYS_PTRACE to trace another user's process.`,
      );
    if (code === 'ENOENT' && !fs.existsSync(`/proc/${pid}`)) throw procError(pid, 'exe', e);
    // No executable: a zombie (exited, not yet reaped) or a kernel thread.
    if (code === 'ENOENT' && state === 'Z')
      throw new PytraceError(
        'PYTRACE_NO_PROCESS',
        `Process ${pid} has exited (a zombie not yet reaped by its parent).`,
      );
    if (code === 'ENOENT')
      throw new PytraceError(
        'PYTRACE_NOT_PYTHON',
        `Process ${pid} is a kernel thread, not a Python: pass the PID of a python process.`,
      );
    throw e;
  }
}

/** Opens objects through the process's root, so another mount namespace works. */
export function rootedPath(pid: number, path: string): string {
  return `/proc/${pid}/root${path}`;
}

/** The objects worth reading markers from: mapped executable, one entry per path, the executable first. */
export function mappedObjects(pid: number, exe: string, maps: Mapping[]): MappedObject[] {
  const byPath = new Map<string, MappedObject>();
  const add = (path: string, m?: Mapping) => {
    if (byPath.has(path)) return;
    const replaced = m?.deleted ?? false;
    const openPath = replaced
      ? `/proc/${pid}/map_files/${m!.start.toString(16)}-${m!.end.toString(16)}`
      : rootedPath(pid, path);
    byPath.set(path, { path, openPath, replaced });
  };
  const executable = maps.filter((m) => m.perms.includes('x'));
  add(exe, executable.find((m) => m.path === exe) ?? maps.find((m) => m.path === exe));
  for (const m of executable) add(m.path, m);
  return [...byPath.values()];
}

/** Reads, once, what attaching to process `pid` needs from /proc. */
export function resolveProcess(pid: number): TargetProcess {
  assertPid(pid);
  const status = readStatus(pid);
  assertNotThread(pid, status.tgid);
  const root = processRoot(pid);
  const exe = inRoot(root, readExe(pid, status.state));
  const maps = parseMaps(readProc(pid, 'maps'), root);
  return {
    pid,
    root,
    exe,
    maps,
    objects: mappedObjects(pid, exe, maps),
    otherPidNamespace: wantsNamespaceIds(pid),
  };
}

/** Runtime address in `pid` of a file offset in `path`, or undefined if unmapped. */
export function addressOfFileOffset(maps: Mapping[], path: string, fileOffset: bigint): bigint | undefined {
  for (const m of maps) {
    if (m.path !== path) continue;
    const len = m.end - m.start;
    if (fileOffset >= m.offset && fileOffset < m.offset + len) return m.start + (fileOffset - m.offset);
  }
  return undefined;
}

/** Effective capabilities of this process. */
export function effectiveCapabilities(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt('0x' + m[1]) : 0n;
}
