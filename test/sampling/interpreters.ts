/**
 * Every CPython build on this machine a sampling test can run a script of
 * test/sampling/scripts under: the Debian roots of scripts/python-builds.sh
 * (PYTRACE_PYTHON_CACHE; one also as a container), the host's python3.11, a C
 * program embedding libpython3.11, and the pyenv builds 3.9-3.13. Absent ones
 * are listed with the reason, for the tests to skip saying so.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { build, Build, IN_ROOT, Isolation, startIn, VERSIONS } from '../helpers/builds';
import { profile, Profile, SampleEvent } from '../../lib/api/profile';
import { Child, startChild, tempDir } from '../helpers/python';

export const SAMPLING_SCRIPTS = path.resolve(__dirname, 'scripts');

export interface Started {
  /** The interpreter's PID as the host sees it. */
  pid: number;
  child: Child;
}

export interface Interpreter {
  label: string;
  /** Why it is skipped, if it is. */
  absent?: string;
  /** Runs scripts/NAME and waits for its "ready". */
  start?: (name: string) => Promise<Started>;
  /** The object expected to hold _PyRuntime, when it is not the executable. */
  libpython?: RegExp;
}

/** Files to remove once the test file is done (call from afterAll). */
export const cleanups: (() => void)[] = [];

/** The syscall number of read(2) here. */
const READ_SYSCALL = os.arch() === 'arm64' ? 63 : 0;

/** Is the process's main thread in read(0, ...)? (/proc/PID/syscall: number, then arguments.) */
export function blockedReadingStdin(pid: number): boolean {
  const [nr, fd] = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(' ');
  return Number(nr) === READ_SYSCALL && BigInt(fd) === 0n;
}

export function pyenvRoot(): string {
  try {
    return execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim();
  } catch {
    return process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  }
}

/** The pyenv build of 3.`minor`, if there is one. */
export function pyenvPython(minor: string): { version: string; python: string } | undefined {
  const versions = path.join(pyenvRoot(), 'versions');
  const dir = fs.existsSync(versions) ? fs.readdirSync(versions).find((d) => d.startsWith(`${minor}.`)) : undefined;
  const python = dir && path.join(versions, dir, 'bin', `python${minor}`);
  return python && fs.existsSync(python) ? { version: dir, python } : undefined;
}

async function startHost(command: string, name: string): Promise<Started> {
  const child = startChild(command, [path.join(SAMPLING_SCRIPTS, name)]);
  await child.line((l) => l === 'ready');
  return { pid: child.pid, child };
}

function rootInterpreter(version: (typeof VERSIONS)[number], isolation: Isolation = 'chroot'): Interpreter {
  let b: Build;
  try {
    b = build(version);
  } catch (e) {
    return { label: `Debian ${version} (${isolation})`, absent: (e as Error).message };
  }
  return {
    label: `Debian ${version} (${isolation})`,
    start: async (name) => {
      fs.mkdirSync(path.join(b.root, IN_ROOT), { recursive: true });
      fs.copyFileSync(path.join(SAMPLING_SCRIPTS, name), path.join(b.root, IN_ROOT, name));
      const py = await startIn(b, name, [], { isolation });
      return { pid: py.pid, child: py.child };
    },
  };
}

let embedded: string | undefined;

export const INTERPRETERS: Interpreter[] = [
  ...VERSIONS.map((v) => rootInterpreter(v)),
  rootInterpreter('3.13', 'container'),
  fs.existsSync('/usr/bin/python3.11')
    ? { label: 'host python3.11', start: (name) => startHost('/usr/bin/python3.11', name) }
    : { label: 'host python3.11', absent: 'no /usr/bin/python3.11' },
  {
    label: 'a C program embedding libpython3.11',
    libpython: /\/libpython3\.11\.so\.1\.0$/,
    start: (name) => {
      if (!embedded) {
        const tmp = tempDir('pytrace-embed-');
        cleanups.push(tmp.remove);
        embedded = execFileSync(path.resolve(__dirname, '../fixtures/embed/build.sh'), [tmp.dir], {
          encoding: 'utf8',
        }).trim();
      }
      return startHost(embedded, name);
    },
  },
  ...['3.9', '3.10', '3.11', '3.12', '3.13'].map((minor): Interpreter => {
    const found = pyenvPython(minor);
    if (!found) return { label: `pyenv ${minor}`, absent: `no pyenv build of ${minor} in ${pyenvRoot()}` };
    return { label: `pyenv ${found.version}`, start: (name) => startHost(found.python, name) };
  }),
];

for (const i of INTERPRETERS.filter((i) => i.absent)) console.warn(`skipped ${i.label}: ${i.absent}`);

/** describe.each rows: the label (saying why when skipped) and the interpreter. */
export const interpreterRows = INTERPRETERS.map(
  (i) => [i.label + (i.absent ? ` (skipped: ${i.absent})` : ''), i] as const,
);

/** The script's "result <json>" line, parsed. */
export async function reportOf<T>(child: Child): Promise<T> {
  return JSON.parse((await child.line((l) => l.startsWith('result '))).slice('result '.length)) as T;
}

/**
 * A profile of `pid` at `hz` over the script's work: sends `go`, takes every
 * sample (through `onSample` too, when given) until the script says "done",
 * then closes the profile.
 */
export async function sampledRun(
  pid: number,
  child: Child,
  hz: number,
  go = 'go',
  onSample?: (s: SampleEvent, n: number) => void,
): Promise<{ profile: Profile; samples: SampleEvent[] }> {
  const p = await profile(pid, { hz });
  const samples: SampleEvent[] = [];
  p.on('sample', (s) => {
    const n = samples.push(s);
    onSample?.(s, n);
  });
  child.send(`${go}\n`);
  await child.line((l) => l === 'done', 60_000);
  await p.close();
  return { profile: p, samples };
}
