/**
 * countCalls() with no pids covers every Python binary with call markers,
 * those started since included: here Pythons of other roots (chroot'ed, or
 * in a container) started after the counter, counted exactly by host PID.
 */
import { countCalls } from '../../lib/index';
import { defLine, killStarted } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, Isolation, startIn, Version } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

const CASES: [Version, Isolation][] = [
  ['3.9', 'chroot'],
  ['3.11', 'chroot'],
  ['3.15', 'chroot'],
  ['3.11', 'container'],
  ['3.15', 'container'],
];

test.each(CASES)('Python %s (%s) started after the counter: its calls counted exactly', async (version, isolation) => {
  const counter = await countCalls();
  try {
    const py = await startIn(build(version), 'calls.py', ['nested'], { isolation });
    // A read covers the binaries started since: this root's interpreter.
    counter.read();
    py.go();
    expect(await py.result()).toBe(15);
    await py.exited;
    const mine = counter.read().filter((c) => c.pid === py.pid && c.filename === py.script);
    const counts = Object.fromEntries(mine.map((c) => [c.function, c.count]));
    expect(counts).toEqual({ scenario_nested: 1, outer: 1, middle: 2, inner: 6 });
    for (const c of mine) expect(c.lineno).toBe(defLine(py.source, c.function));
  } finally {
    await counter.close();
  }
});
