/** What /proc says about a process: its mapped objects, seen through its own root. */
import * as fs from 'fs';
import { PytraceError } from '../errors';

export interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  perms: string;
  path: string;
}

export function assertProcess(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0)
    throw new PytraceError('PYTRACE_NO_PROCESS', `"${pid}" is not a process id: pass a positive integer PID.`);
  if (!fs.existsSync(`/proc/${pid}`))
    throw new PytraceError('PYTRACE_NO_PROCESS', `No process has PID ${pid}: check the PID (ps -e | grep python).`);
  // /proc/TID exists for every thread too, unlisted; the kernel's process handle (pidfd) refuses one.
  const tgid = /^Tgid:\s*(\d+)$/m.exec(readProc(pid, 'status'))?.[1];
  if (tgid !== undefined && Number(tgid) !== pid)
    throw new PytraceError('PYTRACE_NO_PROCESS', `${pid} is a thread of process ${tgid}, not a process: pass ${tgid}.`);
}

function readProc(pid: number, what: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH')
      throw new PytraceError('PYTRACE_NO_PROCESS', `Process ${pid} exited (reading /proc/${pid}/${what}).`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new PytraceError(
        'PYTRACE_PERMISSION',
        `Cannot read /proc/${pid}/${what}: permission denied. Run as root, or with CAP_SYS_PTRACE, CAP_BPF and CAP_PERFMON.`,
      );
    throw e;
  }
}

export function readMaps(pid: number): Mapping[] {
  const out: Mapping[] = [];
  const root = processRoot(pid);
  for (const line of readProc(pid, 'maps').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
    if (!m || !m[5].startsWith('/')) continue;
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3],
      offset: BigInt('0x' + m[4]),
      path: inRoot(root, m[5].replace(/ \(deleted\)$/, '')),
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

/** The executable's path inside the process's mount namespace. */
export function exePath(pid: number): string {
  try {
    return pathInProcess(pid, fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch (e) {
    const stat = readProc(pid, 'stat'); // turns a vanished process into our error
    const code = (e as NodeJS.ErrnoException).code;
    // stat is world-readable, exe is not: another user's process refuses here.
    if (code === 'EACCES' || code === 'EPERM')
      throw new PytraceError(
        'PYTRACE_PERMISSION',
        `Cannot read /proc/${pid}/exe: permission denied. Run as root, or with CAP_SYS_PTRACE to trace another user's process.`,
      );
    // No executable: a zombie (exited, not yet reaped) or a kernel thread.
    if (code === 'ENOENT' && stat[stat.lastIndexOf(')') + 2] === 'Z')
      throw new PytraceError('PYTRACE_NO_PROCESS', `Process ${pid} has exited (a zombie not yet reaped by its parent).`);
    if (code === 'ENOENT')
      throw new PytraceError('PYTRACE_NOT_PYTHON', `Process ${pid} is a kernel thread, not a Python: pass the PID of a python process.`);
    throw e;
  }
}

/** Opens objects through the process's root, so another mount namespace works. */
export function rootedPath(pid: number, path: string): string {
  return `/proc/${pid}/root${path}`;
}

/** Distinct file-backed objects mapped executable, the executable first. */
export function mappedObjects(pid: number): string[] {
  const exe = exePath(pid);
  const seen = new Set<string>([exe]);
  for (const m of readMaps(pid)) if (m.perms.includes('x')) seen.add(m.path);
  return [...seen];
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
