/**
 * function-entry / function-return against python3.11 scripts whose calls are
 * known exactly (the scenarios in helpers/call-scenarios.ts), through both
 * transports. Counts cover the script's own functions only (the standard
 * library's calls vary); nesting is checked per thread over all of them.
 */
import { attach } from '../../lib/index';
import { callScenarios, ScenarioRun } from '../helpers/call-scenarios';
import { Collector, countBy, killStarted, nestingProblems, startPython, within } from '../helpers/python';

const TRANSPORTS = ['ring', 'perf'] as const;
type Transport = (typeof TRANSPORTS)[number];

afterEach(killStarted);

/** Runs a script from gate to exit under a trace of entries and returns. */
async function traceScript(transport: Transport, name: string, args: string[] = []): Promise<ScenarioRun> {
  const py = await startPython(name, args);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], transport });
  expect(trace.transport).toBe(transport);
  const c = new Collector(trace);
  py.go();
  const result = await py.result();
  await within(c.closed, 10000, 'close after the script exits');
  const frames = c.frames(py.script);
  expect(frames.length).toBeGreaterThan(0);
  for (const f of frames) expect(f.pid).toBe(py.pid);
  expect(nestingProblems(frames)).toEqual([]);
  expect(c.lost).toEqual([]);
  const count = (type: string) =>
    countBy(
      frames.filter((f) => f.type === type && f.function !== '<module>'),
      (f) => f.function,
    );
  return { frames, entries: count('function-entry'), returns: count('function-return'), result, pid: py.pid, source: py.script };
}

describe.each(TRANSPORTS)('through the %s buffer', (transport) => {
  callScenarios('3.11', (name, args) => traceScript(transport, name, args));
});
