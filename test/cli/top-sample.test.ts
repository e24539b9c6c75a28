/** pytrace top --sample: per function own and total shares of the samples, since the start. */
import { pyenvPython } from '../sampling/interpreters';
import { killAll, Proc, pytrace, PYTHON } from './helpers';

afterEach(killAll);

const SPIN = 'print("ready", flush=True)\ndef hot():\n    while True: pass\ndef outer():\n    hot()\nouter()';

test('--json: the busy function first, its own samples all of them, its caller on every stack', async () => {
  const py = new Proc(PYTHON, ['-c', SPIN]);
  await py.waitFor(/^ready$/m);
  const cli = pytrace(
    'top',
    '--sample',
    '--pid',
    String(py.pid),
    '--hz',
    '499',
    '--interval',
    '0.5',
    '--iterations',
    '2',
    '--json',
  );
  expect((await cli.exited).code).toBe(0);
  const last = JSON.parse(cli.stdout.trim().split('\n').pop()!) as {
    samples: number;
    top: { function: string; own: number; total: number }[];
  };
  expect(last.samples).toBeGreaterThan(100);
  expect(last.top[0]).toMatchObject({ function: 'hot', own: last.samples, total: last.samples });
  expect(last.top.find((f) => f.function === 'outer')).toMatchObject({ own: 0, total: last.samples });
  expect(last.top.find((f) => f.function === '<module>')).toMatchObject({ own: 0, total: last.samples });
});

test('--sample needs exactly one --pid; --hz needs --sample', async () => {
  expect((await pytrace('top', '--sample').exited).code).toBe(2);
  expect((await pytrace('top', '--hz', '10', '--pid', '1').exited).code).toBe(2);
});

const PYENV_312 = pyenvPython('3.12')?.python;

(PYENV_312 ? test : test.skip)(
  'top --pid of a build without call markers says so and samples it (pyenv 3.12; skipped without one)',
  async () => {
    const py = new Proc(PYENV_312!, ['-c', SPIN]);
    await py.waitFor(/^ready$/m);
    const cli = pytrace('top', '--pid', String(py.pid), '--interval', '0.5', '--iterations', '2', '--json');
    expect((await cli.exited).code).toBe(0);
    expect(cli.stderr).toMatch(new RegExp(`^pytrace: PID ${py.pid}: .*markers.* Sampling its stacks instead`, 'm'));
    const last = JSON.parse(cli.stdout.trim().split('\n').pop()!) as {
      type: string;
      samples: number;
      top: { function: string }[];
    };
    expect(last.type).toBe('top-sample');
    // 1 s of CPU at the default 99 Hz: about 99.
    expect(last.samples).toBeGreaterThan(50);
    expect(last.top[0].function).toBe('hot');
  },
);

test('top --pid of a build with call markers counts its calls, as before', async () => {
  const py = new Proc(PYTHON, ['-c', 'print("ready", flush=True)\ndef f(): pass\nwhile True: f()']);
  await py.waitFor(/^ready$/m);
  const cli = pytrace('top', '--pid', String(py.pid), '--interval', '0.3', '--iterations', '1', '--json');
  expect((await cli.exited).code).toBe(0);
  expect(cli.stderr).not.toMatch(/Sampling its stacks instead/);
  const last = JSON.parse(cli.stdout.trim().split('\n').pop()!) as {
    type: string;
    top: { function: string; count: number }[];
  };
  expect(last.type).toBe('top');
  expect(last.top[0].function).toBe('f');
  expect(last.top[0].count).toBeGreaterThan(0);
});
