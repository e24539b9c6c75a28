/** What a Python process's build can give: version, where its markers live, what fires. */
import * as fs from 'fs';
import * as path from 'path';
import { readElfFile } from './elf';
import { PytraceError, WHICH_BUILDS_HAVE_MARKERS } from '../errors';
import { EVENT_NAMES, EventName, MARKERS, PROVIDER } from '../markers';
import {
  Discovery,
  DiscoveryWarning,
  discoverFile,
  discoverProcess,
  fileOffset,
  ProbeLocation,
  PYTHON_OBJECT,
} from './probes';
import { resolveProcess, TargetProcess } from './proc';
import { isDefaultEvent } from '../api/options';

export interface EventAvailability {
  /** The build has the marker. */
  available: boolean;
  /** Attaching to it yields events (with what pytrace does for it). */
  fires: boolean;
  /** Why not, or what pytrace does to make it fire. */
  note?: string;
  /** attach() without `events` traces it: it fires, and is not `line` (which slows the program several times; traced when named). */
  default: boolean;
}

type Availability = Omit<EventAvailability, 'default'>;

function withDefaults(events: Record<EventName, Availability>): Record<EventName, EventAvailability> {
  const all = {} as Record<EventName, EventAvailability>;
  for (const e of EVENT_NAMES) all[e] = { ...events[e], default: events[e].fires && isDefaultEvent(e) };
  return all;
}

export interface Description {
  /** null when describing a binary rather than a process. */
  pid: number | null;
  executable: string;
  /** "3.11", or null when neither the names nor Py_Version tell. */
  version: string | null;
  /** Where the markers are: the executable, a shared libpython, or nowhere. */
  build: 'executable' | 'shared-library' | 'none';
  /** The object holding the markers, as the process sees it. */
  markerObject: string | null;
  markers: string[];
  events: Record<EventName, EventAvailability>;
  /** The marker locations (provider "python"). */
  locations: ProbeLocation[];
  /** The executable and the objects mapped executable (for a process), or the binary. */
  objects: string[];
  /**
   * Markers of other providers (in libraries the process loaded) that could
   * not be read, and were skipped; the Python's own problems are errors instead.
   */
  warnings: DiscoveryWarning[];
}

/** An object as discovery reads it: its name, and where to open it. */
interface ObjectFile {
  path: string;
  openPath: string;
}

export function looksLikePython(paths: string[]): boolean {
  return paths.some((p) => PYTHON_OBJECT.test(p));
}

/** "3.11" -> 11: the one place a version string is taken apart. */
export function minorVersion(version: string | null): number | null {
  const m = version && /^3\.(\d+)$/.exec(version);
  return m ? Number(m[1]) : null;
}

/** The one place the version is derived: from "python3.11", "libpython3.11.so.1.0", or the Py_Version constant (3.11+). */
function versionOf(objects: ObjectFile[]): string | null {
  for (const { path: p } of objects) {
    const m = PYTHON_OBJECT.exec(p);
    if (m?.[1]) return m[1];
  }
  for (const { path: p, openPath: open } of objects) {
    if (!/python/.test(p)) continue;
    try {
      const elf = readElfFile(open, ['Py_Version']);
      const sym = elf.symbols.Py_Version;
      const off = sym && fileOffset(elf.segments, sym.value);
      if (off === null || off === undefined) continue;
      const fd = fs.openSync(open, 'r');
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, Number(off));
      fs.closeSync(fd);
      const hex = b.readUInt32LE(0);
      return `${hex >>> 24}.${(hex >>> 16) & 0xff}`;
    } catch {
      /* try the next object */
    }
  }
  return null;
}

function availability(event: EventName, present: boolean, version: string | null): Availability {
  const v = minorVersion(version);
  if (!present) {
    const frame = event === 'function-entry' || event === 'function-return' || event === 'line';
    let note = `This build has no ${MARKERS.find((m) => m.event === event)!.marker} marker.`;
    if (frame && v !== null && v >= 12 && v <= 14)
      note = `CPython ${version} has no call or line markers: they were removed in 3.12 with PEP 669 (CPython issue 104280); 3.15 restores the call markers. gc, import and audit still fire.`;
    else if (event === 'line' && v !== null && v >= 15)
      note = `CPython ${version} has function markers again but no line marker.`;
    return { available: false, fires: false, note };
  }
  if (event === 'function-entry' && v === 11)
    return {
      available: true,
      fires: true,
      note: 'CPython 3.11 fires function__entry only while the line semaphore is raised: pytrace raises it (without tracing lines) while attached.',
    };
  if (event === 'function-entry' && v !== null && v >= 15)
    return {
      available: true,
      fires: true,
      note: 'CPython 3.15 also fires an entry, and no return, when a call creates a generator or coroutine: tracing entries and returns, pytrace adds that return (generatorCreated: true).',
    };
  return { available: true, fires: true };
}

function describeFrom(pid: number | null, executable: string, objects: ObjectFile[], found: Discovery): Description {
  const locations = found.locations.filter((p) => p.provider === PROVIDER);
  const version = versionOf(objects);
  const markerObject = locations[0]?.path ?? null;
  const markers = [...new Set(locations.map((l) => l.name))];
  const events = {} as Record<EventName, Availability>;
  for (const m of MARKERS) events[m.event] = availability(m.event, markers.includes(m.marker), version);
  if (!locations.length) {
    const note = `No python markers in ${path.basename(executable)} or its libraries.`;
    for (const e of EVENT_NAMES) events[e] = { available: false, fires: false, note };
  }
  return {
    pid,
    executable,
    version,
    // describeBinary(libpython) describes the library itself: still a shared library.
    build: !markerObject
      ? 'none'
      : markerObject !== executable || locations[0].shared
        ? 'shared-library'
        : 'executable',
    markerObject,
    markers,
    events: withDefaults(events),
    locations,
    objects: objects.map((o) => o.path),
    warnings: found.warnings,
  };
}

/** What process `pid` can give. */
export function describe(pid: number): Description {
  return describeProcess(resolveProcess(pid));
}

/** describe(), from a process already resolved. */
export function describeProcess(proc: TargetProcess): Description {
  return describeFrom(proc.pid, proc.exe, proc.objects, discoverProcess(proc));
}

/** What a Python binary (an executable or libpython) can give, for every process that runs it. */
export function describeBinary(path: string): Description {
  return describeFrom(null, path, [{ path, openPath: path }], discoverFile(path));
}

/** describe(), but a process that is not a Python with markers is an error. */
export function assertTraceable(d: Description): Description {
  if (d.build !== 'none') return d;
  const what = d.pid === null ? d.executable : `Process ${d.pid} (${d.executable})`;
  if (!looksLikePython(d.objects))
    throw new PytraceError(
      'PYTRACE_NOT_PYTHON',
      `${what} is not a Python: neither it nor its libraries are a CPython interpreter. Pass the PID of a python process${d.pid === null ? ', or the path of a python binary or libpython' : ''}.`,
    );
  throw new PytraceError(
    'PYTRACE_NO_MARKERS',
    `${what} is a Python${d.version ? ' ' + d.version : ''} built without static markers (no .note.stapsdt). ${WHICH_BUILDS_HAVE_MARKERS} Run the program with such a Python.`,
  );
}
