/**
 * The CPython builds of scripts/python-builds.sh (one Debian root per
 * version), and Pythons started inside those roots: chroot'ed (another root,
 * same namespaces) or as a container (new mount and PID namespaces).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { attach } from '../../lib/index';
import { runToExit, ScenarioRun } from './call-scenarios';
import { Child, SCRIPTS, startChild, until } from './python';

export const VERSIONS = ['3.9', '3.11', '3.13', '3.14', '3.15'] as const;
export type Version = (typeof VERSIONS)[number];

const REPO = path.resolve(__dirname, '../..');
export const MATRIX_SCRIPTS = path.resolve(__dirname, '../matrix/scripts');
/** Where the scripts are inside every root. */
export const IN_ROOT = '/tmp/pytrace-tests';

/** Building every root from nothing takes minutes. */
export const BUILD_TIMEOUT_MS = 15 * 60 * 1000;

export interface Build {
  version: Version;
  suite: string;
  /** The root directory, on the host. */
  root: string;
  /** The interpreter and libpython, inside the root. */
  python: string;
  libpython: string | null;
}

function cacheDir(): string {
  return path.resolve(process.env.PYTRACE_PYTHON_CACHE ?? path.join(REPO, '.cache/pythons'));
}

function ready(version: string): boolean {
  const dir = path.join(cacheDir(), version);
  return fs.existsSync(path.join(dir, 'info.json')) && fs.existsSync(path.join(dir, `root/usr/bin/python${version}`));
}

/** Builds the roots that are missing (scripts/python-builds.sh; root, network), then installs the test scripts in each. */
export async function ensureBuilds(): Promise<void> {
  const missing = VERSIONS.filter((v) => !ready(v));
  if (missing.length) {
    const script = path.join(REPO, 'scripts/python-builds.sh');
    await new Promise<void>((resolve, reject) =>
      execFile(
        'bash',
        [script, ...missing],
        { timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 << 20 },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`scripts/python-builds.sh ${missing.join(' ')} failed:\n${stdout}${stderr}`))
            : resolve(),
      ),
    );
  }
  for (const v of VERSIONS) installScripts(build(v));
}

export function build(version: Version): Build {
  const dir = path.join(cacheDir(), version);
  if (!ready(version)) {
    let status = 'not built';
    try {
      status = fs.readFileSync(path.join(dir, 'status'), 'utf8').trim();
    } catch {
      /* never attempted */
    }
    throw new Error(`Python ${version} is not in ${cacheDir()} (${status}): run scripts/python-builds.sh`);
  }
  const info = JSON.parse(fs.readFileSync(path.join(dir, 'info.json'), 'utf8'));
  // The cache may have moved since info.json was written: the root is beside it.
  return { version, suite: info.suite, root: path.join(dir, 'root'), python: info.python, libpython: info.libpython };
}

/** Copies test/scripts and test/matrix/scripts into ROOT/tmp/pytrace-tests (a copy: nothing to unmount). */
function installScripts(b: Build): void {
  const dest = path.join(b.root, IN_ROOT);
  fs.mkdirSync(dest, { recursive: true });
  for (const dir of [SCRIPTS, MATRIX_SCRIPTS])
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.py')) fs.copyFileSync(path.join(dir, f), path.join(dest, f));
}

/** Where a script lives on the host (for reading its lines). */
export function hostScript(name: string): string {
  const matrix = path.join(MATRIX_SCRIPTS, name);
  return fs.existsSync(matrix) ? matrix : path.join(SCRIPTS, name);
}

export type Isolation = 'chroot' | 'container';

/**
 * A Python of `build` running a test script in its root. Like Python in
 * python.ts: prints "ready", waits for go(), prints "result <json>".
 */
export class RootPython {
  /** The interpreter's PID as the host sees it (not unshare's). */
  pid = 0;
  /** The script's path as Python reports it (inside the root). */
  readonly script: string;
  /** The same script on the host. */
  readonly source: string;

  constructor(
    readonly build: Build,
    readonly child: Child,
    name: string,
  ) {
    this.script = path.posix.join(IN_ROOT, name);
    this.source = hostScript(name);
  }

  ready(): Promise<string> {
    return this.child.line((l) => l === 'ready');
  }

  go(): void {
    this.child.send('go\n');
  }

  line(match: (l: string) => boolean): Promise<string> {
    return this.child.line(match);
  }

  async result<T = unknown>(): Promise<T> {
    const line = await this.child.line((l) => l.startsWith('result '));
    return JSON.parse(line.slice('result '.length)) as T;
  }

  get exited(): Promise<unknown> {
    return this.child.exited;
  }
}

/** `command`'s path from our PATH: the child's own PATH is the root's. */
function which(command: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  const found = dirs.map((d) => path.join(d, command)).find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${command} is not installed (util-linux / coreutils)`);
  return found;
}

/** Children of `pid`'s main thread. */
function children(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts `name` (from test/scripts or test/matrix/scripts) under the build's
 * interpreter in its root, and waits for "ready". killStarted() ends it.
 * 'container': unshare --mount --pid --fork --root, so Python is PID 1 of its
 * own namespace and sees only its root; --kill-child ties it to unshare.
 */
export async function startIn(
  b: Build,
  name: string,
  args: string[] = [],
  options: { isolation?: Isolation; env?: NodeJS.ProcessEnv } = {},
): Promise<RootPython> {
  const argv = [b.python, path.posix.join(IN_ROOT, name), ...args];
  const env = { PATH: '/usr/bin:/bin', ...options.env };
  const child =
    options.isolation === 'container'
      ? startChild(which('unshare'), ['--mount', '--pid', '--fork', '--kill-child', `--root=${b.root}`, ...argv], {
          env,
        })
      : startChild(which('chroot'), [b.root, ...argv], { env });
  const py = new RootPython(b, child, name);
  await py.ready();
  if (options.isolation === 'container') {
    // unshare forked the interpreter: find it among its children.
    const found = await until(() => children(child.pid).length === 1, 2000);
    if (!found) throw new Error(`no interpreter under unshare ${child.pid}`);
    py.pid = children(child.pid)[0];
  } else py.pid = child.pid;
  return py;
}

/** Runs a script of the build from gate to exit under a trace of entries and returns. */
export async function traceCalls(version: Version, name: string, args: string[] = []): Promise<ScenarioRun> {
  const py = await startIn(build(version), name, args);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
  return runToExit(py, trace, py.source);
}
