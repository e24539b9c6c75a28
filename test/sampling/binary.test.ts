/**
 * profile({ binary }): every process of a CPython build without markers,
 * found by the file's identity: one running before profile() resolves, one
 * started after it (found by its exec); each one's samples arrive under its
 * own pid, every stack one the script can be in. A process of another
 * binary, spinning the same way, sends none. The same through the build's
 * libpython, where it is a shared one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { linkedLibpython } from '../../lib/discovery/binaries';
import { profile, SampleEvent } from '../../lib/api/profile';
import { PytraceError } from '../../lib/errors';
import { killStarted, startChild, until } from '../helpers/python';
import { pyenvPython, SAMPLING_SCRIPTS } from './interpreters';

afterEach(killStarted);

const SCRIPT = path.join(SAMPLING_SCRIPTS, 'spin.py');

/** A build without markers where there is one (pyenv 3.12), else the host's python3.11. */
const pyenv = pyenvPython('3.12');
const PROFILED = pyenv?.python ?? (fs.existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : undefined);
/** Another binary: a process of it must send nothing. */
const OTHER = [pyenvPython('3.11')?.python, '/usr/bin/python3.11'].find(
  (p): p is string => p !== undefined && p !== PROFILED && fs.existsSync(p),
);

/** The stacks spin.py can be sampled in, outermost first, after startup. */
const SCRIPT_STACKS = ['<module>', '<module> outer', '<module> outer inner'];

/**
 * A stack of the interpreter's startup, before the script runs: frozen modules, the
 * standard library, code site exec's from .pth files, and code objects freed before
 * their names were read (the later process is sampled from its first instructions).
 */
function startupStack(s: SampleEvent, prefix: string): boolean {
  return s.frames.every(
    (f) =>
      f.filename.startsWith('<frozen ') ||
      f.filename.startsWith(prefix) ||
      f.filename === '<string>' ||
      f.filename === '<unknown>',
  );
}

async function profileBoth(target: { binary: string }, stdlib: string) {
  const before = startChild(PROFILED!, [SCRIPT]);
  const other = OTHER ? startChild(OTHER, [SCRIPT]) : undefined;
  await before.line((l) => l === 'ready');
  await other?.line((l) => l === 'ready');
  const p = await profile(target, { hz: 499 });
  const samples: SampleEvent[] = [];
  p.on('sample', (s) => samples.push(s));
  const after = startChild(PROFILED!, [SCRIPT]);
  await after.line((l) => l === 'ready');
  for (const c of [before, after, other]) c?.child.stdin!.write('go\n');
  for (const c of [before, after, other]) await c?.line((l) => l === 'done');
  await p.close();

  const ours = samples.filter((s) => s.pid === before.pid || s.pid === after.pid);
  const odd = ours.filter((s) => {
    const stack = [...s.frames].reverse();
    if (stack[0]?.filename === SCRIPT) return !SCRIPT_STACKS.includes(stack.map((f) => f.function).join(' '));
    return !startupStack(s, stdlib);
  });
  expect(odd.map((s) => s.frames.map((f) => `${f.function} ${f.filename}`).join(' < '))).toEqual([]);
  // 0.6 s of CPU in inner() at 499 Hz: about 300 samples a process (CPU time, so not fewer
  // on a busy machine). The later process joins as soon as its exec is read and its
  // libpython is mapped, long before its "go": a third is a wide margin.
  for (const c of [before, after]) {
    const inInner = ours.filter((s) => s.pid === c.pid && s.frames[0].function === 'inner').length;
    expect({ pid: c.pid, inInner: inInner > 100 }).toEqual({ pid: c.pid, inInner: true });
  }
  if (other) expect(samples.filter((s) => s.pid === other.pid)).toEqual([]);
}

(PROFILED ? describe : describe.skip)(`profile({ binary: ${PROFILED} })`, () => {
  const stdlib = path.resolve(path.dirname(PROFILED ?? '/'), '..', 'lib') + '/';

  test('a process started before and one after: both sampled, nothing of another binary', async () => {
    await profileBoth({ binary: PROFILED! }, stdlib);
  }, 60_000);

  const lib = PROFILED && linkedLibpython(PROFILED);
  (lib ? test : test.skip)(
    `through its libpython (${lib || 'none: a static build'})`,
    async () => {
      await profileBoth({ binary: lib as string }, stdlib);
    },
    60_000,
  );

  test('after 264 processes of it have come and gone, a later one is still sampled', async () => {
    const p = await profile({ binary: PROFILED! }, { hz: 499 });
    const samples: SampleEvent[] = [];
    p.on('sample', (s) => samples.push(s));
    // 11 rounds of 24 processes, each round ended only once all have joined the profile:
    // more than the kernel's 256 profiled processes in all, which it holds no more once
    // they have exited. rounds.py is one of them too.
    const rounds = startChild(PROFILED!, [path.join(SAMPLING_SCRIPTS, 'rounds.py'), '11', '24']);
    for (let round = 1; round <= 11; round++) {
      expect(await rounds.nextLine(30_000)).toBe('started');
      const joined = await until(() => p.stats().processes >= 1 + 24 * round, 30_000);
      expect({ round, joined }).toEqual({ round, joined: true });
      rounds.send('\n');
      expect(await rounds.nextLine(30_000)).toBe('ended');
    }
    const last = startChild(PROFILED!, [SCRIPT]);
    await last.line((l) => l === 'ready');
    last.child.stdin!.write('go\n');
    await last.line((l) => l === 'done');
    await p.close();
    // 0.6 s of CPU at 499 Hz: about 300 in inner(); a third is a wide margin.
    expect(samples.filter((s) => s.pid === last.pid && s.frames[0].function === 'inner').length).toBeGreaterThan(100);
  }, 120_000);

  test('{ binary, pid } of a process not running it: PYTRACE_NOT_PYTHON', async () => {
    const err = await profile({ binary: PROFILED!, pid: process.pid }).catch((e: PytraceError) => e);
    expect(err).toBeInstanceOf(PytraceError);
    expect((err as PytraceError).code).toBe('PYTRACE_NOT_PYTHON');
  });

  test('a file that is no CPython: PYTRACE_NOT_PYTHON; none at all: PYTRACE_BAD_OPTION', async () => {
    const codes = await Promise.all(
      ['/bin/sh', '/nonexistent/python3'].map((binary) =>
        profile({ binary }).then(
          () => 'resolved',
          (e: PytraceError) => e.code,
        ),
      ),
    );
    expect(codes).toEqual(['PYTRACE_NOT_PYTHON', 'PYTRACE_BAD_OPTION']);
  });
});
