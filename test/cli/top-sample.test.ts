/** pytrace top --sample: per function own and total shares of the samples, since the start. */
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
