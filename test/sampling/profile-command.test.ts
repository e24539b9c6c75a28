/**
 * profile({ command }): the command is started for the profile and sampled
 * from its first statement, on a build with markers and on one without; its
 * exit status comes through; commands that cannot be profiled are errors
 * that leave no process behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { profile, SampleEvent } from '../../lib/api/profile';
import { PytraceError } from '../../lib/errors';
import { pyenvPython, SAMPLING_SCRIPTS } from './interpreters';

const SPIN_FIRST = path.resolve(__dirname, '../cli-scripts/spin_first.py');

const PYTHONS: [string, string | undefined][] = [
  ['host python3.11', '/usr/bin/python3.11'],
  [pyenvPython('3.12') ? 'pyenv 3.12' : 'pyenv 3.12 (skipped: none here)', pyenvPython('3.12')?.python],
];

/** Children of this process still running (the shell a failed start leaves would be one). */
function children(): number[] {
  const self = String(process.pid);
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return fields[1] === self && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function rejection(p: Promise<unknown>): Promise<PytraceError> {
  try {
    await p;
  } catch (e) {
    return e as PytraceError;
  }
  throw new Error('it resolved');
}

describe.each(PYTHONS)('%s', (_, python) => {
  (python ? test : test.skip)(
    'sampled from its first statement: both functions, equal shares; its exit status 3 comes through',
    async () => {
      const p = await profile({ command: [python!, SPIN_FIRST], stdio: 'ignore' }, { hz: 499 });
      const samples: SampleEvent[] = [];
      p.on('sample', (s) => samples.push(s));
      expect(await p.command!.exited).toBe(3);
      await new Promise<void>((resolve) => (p.closed ? resolve() : p.once('close', () => resolve())));
      expect(p.pid).toBe(p.command!.child.pid);
      const inFunction = (name: string) =>
        samples.filter((s) => s.frames.some((f) => f.function === name && f.filename === SPIN_FIRST)).length;
      // 0.3 s of CPU each at 499 Hz: about 150. first() is the script's first call: were
      // sampling late, its count would fall short of second()'s.
      expect(inFunction('first')).toBeGreaterThan(100);
      expect(inFunction('second')).toBeGreaterThan(100);
      expect(Math.abs(inFunction('first') - inFunction('second'))).toBeLessThan(0.2 * inFunction('second'));
    },
    30_000,
  );
});

test('a command that is not a Python, or that cannot start, or is no command: typed errors, nothing left running', async () => {
  const before = children();
  const notPython = await rejection(profile({ command: ['/bin/sleep', '0.3'], stdio: 'ignore' }));
  expect(notPython.code).toBe('PYTRACE_NOT_PYTHON');
  const missing = await rejection(
    profile({ command: [path.join(SAMPLING_SCRIPTS, 'no-such-program')], stdio: 'ignore' }),
  );
  expect(missing.code).toBe('PYTRACE_NO_PROCESS');
  expect(missing.message).toMatch(/no-such-program exited \(status 127\) before it could be sampled/);
  for (const command of [[], [42], 'python3'])
    expect((await rejection(profile({ command } as never))).code).toBe('PYTRACE_BAD_OPTION');
  // The shells are reaped once their exit is seen.
  await new Promise((r) => setTimeout(r, 100));
  expect(children().filter((c) => !before.includes(c))).toEqual([]);
});
