/**
 * Layouts and symbolization against real interpreters: a script stops inside
 * a known call stack and prints, per frame, id(code), file, qualified name and
 * line; the test finds the interpreter (findRuntime), walks that thread's
 * frames through /proc/PID/mem with the layout, and symbolizes each frame.
 * Every build that is here: the Debian roots (PYTRACE_PYTHON_CACHE), the
 * host's python3.11 and the pyenv builds; absent ones are skipped, saying so.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TargetMemory } from '../../lib/sampling/memory';
import { findRuntime } from '../../lib/sampling/runtime';
import { Symbolizer } from '../../lib/sampling/symbols';
import { DEFAULT_MAX_CHARS } from '../../lib/sampling/strings';
import { build, Build, IN_ROOT, Isolation, startIn, VERSIONS } from '../helpers/builds';
import { walkThread } from '../helpers/frame-walk';
import { Child, killStarted, startChild, tempDir, until } from '../helpers/python';

afterEach(killStarted);
const removeAfterAll: (() => void)[] = [];
afterAll(() => removeAfterAll.forEach((remove) => remove()));

const SCRIPT = path.resolve(__dirname, 'scripts/self_frames.py');

interface Reported {
  version: string;
  thread: { native: number; ident: string };
  frames: { code: string; file: string; function: string; line: number }[];
}

interface Case {
  label: string;
  /** Why it is skipped, if it is. */
  absent?: string;
  start?: () => Promise<{ pid: number; child: Child }>;
}

/** The syscall number of read(2) here. */
const READ_SYSCALL = os.arch() === 'arm64' ? 63 : 0;

/** Is the process's main thread in read(0, ...)? (/proc/PID/syscall: number, then arguments.) */
function blockedReadingStdin(pid: number): boolean {
  const [nr, fd] = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(' ');
  return Number(nr) === READ_SYSCALL && BigInt(fd) === 0n;
}

function pyenvRoot(): string {
  try {
    return execFileSync('pyenv', ['root'], { encoding: 'utf8' }).trim();
  } catch {
    return process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  }
}

async function startHost(python: string): Promise<{ pid: number; child: Child }> {
  const child = startChild(python, [SCRIPT]);
  await child.line((l) => l === 'ready');
  return { pid: child.pid, child };
}

function rootCase(version: (typeof VERSIONS)[number], isolation: Isolation = 'chroot'): Case {
  let b: Build;
  try {
    b = build(version);
  } catch (e) {
    return { label: `Debian ${version}`, absent: (e as Error).message };
  }
  return {
    label: `Debian ${version} (${isolation})`,
    start: async () => {
      fs.mkdirSync(path.join(b.root, IN_ROOT), { recursive: true });
      fs.copyFileSync(SCRIPT, path.join(b.root, IN_ROOT, 'self_frames.py'));
      const py = await startIn(b, 'self_frames.py', [], { isolation });
      return { pid: py.pid, child: py.child };
    },
  };
}

const PYENV = ['3.9', '3.10', '3.11', '3.12', '3.13'].map((minor): Case => {
  const root = path.join(pyenvRoot(), 'versions');
  const dir = fs.existsSync(root) ? fs.readdirSync(root).find((d) => d.startsWith(`${minor}.`)) : undefined;
  const python = dir && path.join(root, dir, 'bin', `python${minor}`);
  if (!python || !fs.existsSync(python)) return { label: `pyenv ${minor}`, absent: `no pyenv build of ${minor} in ${root}` };
  return { label: `pyenv ${dir}`, start: () => startHost(python) };
});

/** A C program embedding the system's libpython3.11.so (test/fixtures/embed): no "python" in its name. */
const embedCase: Case = {
  label: 'embedded libpython3.11',
  start: async () => {
    const tmp = tempDir('pytrace-embed-');
    removeAfterAll.push(tmp.remove);
    const embed = execFileSync(path.resolve(__dirname, '../fixtures/embed/build.sh'), [tmp.dir], { encoding: 'utf8' }).trim();
    return startHost(embed);
  },
};

const CASES: Case[] = [
  ...VERSIONS.map((v) => rootCase(v)),
  rootCase('3.13', 'container'),
  fs.existsSync('/usr/bin/python3.11')
    ? { label: 'host python3.11', start: () => startHost('/usr/bin/python3.11') }
    : { label: 'host python3.11', absent: 'no /usr/bin/python3.11' },
  embedCase,
  ...PYENV,
];

for (const c of CASES.filter((c) => c.absent)) console.warn(`skipped ${c.label}: ${c.absent}`);

describe.each(CASES.map((c) => [c.label + (c.absent ? ` (skipped: ${c.absent})` : ''), c] as const))('%s', (_, c) => {
  (c.start ? test : test.skip)('frames read with the layout are the ones the script reports, names and lines', async () => {
    const { pid, child } = await c.start!();
    child.send('go\n');
    const line = await child.line((l) => l.startsWith('result '));
    const reported = JSON.parse(line.slice('result '.length)) as Reported;
    // The script's main thread prints, then blocks reading stdin: read its frames once it is there.
    expect(await until(() => blockedReadingStdin(pid), 5000)).toBe(true);

    const runtime = findRuntime(pid);
    if (c === embedCase) expect(runtime.object).toMatch(/\/libpython3\.11\.so\.1\.0$/);
    expect(runtime.version.text).toBe(reported.version);
    expect(runtime.layout.source).toBe(runtime.version.minor >= 13 ? 'debug-offsets' : 'headers');

    const memory = new TargetMemory(pid);
    const symbolizer = new Symbolizer(runtime);
    try {
      const frames = walkThread(runtime, memory, { native: reported.thread.native, ident: BigInt(reported.thread.ident) });
      expect(frames.map((f) => f.code.toString())).toEqual(reported.frames.map((f) => f.code));

      const got = frames.map((f) => symbolizer.frame(f.code, f.offset));
      const want = reported.frames.map((f) => {
        const points = Array.from(f.file);
        return {
          filename: points.slice(0, DEFAULT_MAX_CHARS).join(''),
          function: f.function,
          line: f.line,
          truncated: points.length > DEFAULT_MAX_CHARS,
        };
      });
      expect(got).toEqual(want);
      // Every str kind went through: latin-1 (é), UCS-2 (中), UCS-4 (U+20000), and one cut.
      expect(got.map((g) => g.function).join(' ')).toMatch(/inner_\u{20000} .*middle_中 outer_é/u);
      expect(got.filter((g) => g.truncated)).toHaveLength(1);

      // Cached per (pid, address, generation): the same generation reads nothing again, a new one rereads.
      const size = symbolizer.cache.size;
      frames.forEach((f) => symbolizer.frame(f.code, f.offset));
      expect(symbolizer.cache.size).toBe(size);
      symbolizer.frame(frames[0].code, frames[0].offset, 1);
      expect(symbolizer.cache.size).toBe(size + 1);
    } finally {
      symbolizer.close();
      memory.close();
    }
  });
});
