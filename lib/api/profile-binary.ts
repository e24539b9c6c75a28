/**
 * A binary's profile: every process running a CPython executable or a
 * libpython, found by the file's identity (device and inode, as the kernel
 * names it: a copy or another path to the same file is the same binary).
 * Those running it now are read from /proc; later ones are those that exec
 * one of the files given to the kernel (native/bpf/process_events.bpf.h,
 * watch_execs), reported as they start.
 */
import * as fs from 'fs';
import { PytraceError } from '../errors';
import { readElf } from '../native';
import { linkedLibpython } from '../discovery/binaries';
import { kernelFileId } from './processes';

/** The file `binary`, checked to be a CPython interpreter (it, or the libpython it links, defines _PyRuntime). */
export function assertInterpreterFile(binary: unknown): string {
  if (typeof binary !== 'string' || binary === '')
    throw new PytraceError('PYTRACE_BAD_OPTION', `profile()'s binary is a path, not ${String(binary)}.`);
  if (!fs.existsSync(binary))
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `No file ${binary}: pass the path of a python executable or libpython.`,
    );
  const definesRuntime = (file: string) => {
    try {
      return readElf(file, ['_PyRuntime']).symbols._PyRuntime !== undefined;
    } catch {
      return false; // not an ELF file
    }
  };
  const lib = linkedLibpython(binary);
  if (!definesRuntime(binary) && !(lib && definesRuntime(lib)))
    throw new PytraceError(
      'PYTRACE_NOT_PYTHON',
      `${binary} is not a CPython 3.7 or later: neither it nor a libpython it links defines _PyRuntime. Pass a python executable or libpython.`,
    );
  return binary;
}

/** A mapping's "MM:mm" device and inode, as /proc/PID/maps writes them. */
function mapsKey(id: { dev: number; ino: bigint }): string {
  const major = id.dev >>> 20;
  const minor = id.dev & 0xfffff;
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')} ${id.ino}`;
}

export interface BinaryProcess {
  pid: number;
  /** Its executable, through its root: the file a later process of the same program execs. */
  executable: string;
}

/** The processes mapping `binary` now (by its identity), this one left out; or only `pid`, if it does. */
export function processesOfBinary(binary: string, pid?: number): BinaryProcess[] {
  const id = kernelFileId(binary);
  if (!id) return [];
  const key = mapsKey(id);
  const out: BinaryProcess[] = [];
  for (const name of pid === undefined ? fs.readdirSync('/proc') : [String(pid)]) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let maps: string;
    try {
      maps = fs.readFileSync(`/proc/${name}/maps`, 'latin1');
    } catch {
      continue; // gone, or a kernel thread's empty maps
    }
    // Fields: range perms offset dev inode path.
    const mapsIt = maps.split('\n').some((line) => {
      const f = line.split(/\s+/, 5);
      return f.length === 5 && `${f[3]} ${f[4]}` === key;
    });
    if (!mapsIt) continue;
    let executable: string;
    try {
      executable = `/proc/${name}/root${fs.readlinkSync(`/proc/${name}/exe`).replace(/ \(deleted\)$/, '')}`;
    } catch {
      continue; // gone
    }
    out.push({ pid: Number(name), executable });
  }
  return out;
}

/**
 * The files whose exec starts a process of `binary`: itself, and for a
 * libpython, the executables of the processes running it now (a process of
 * another executable linking it is found only while it runs at the start).
 */
export function startingFiles(binary: string, running: BinaryProcess[]): { dev: number; ino: bigint }[] {
  const ids = new Map<string, { dev: number; ino: bigint }>();
  for (const f of [binary, ...running.map((p) => p.executable)]) {
    const id = kernelFileId(f);
    if (id) ids.set(`${id.dev}:${id.ino}`, id);
  }
  return [...ids.values()];
}
