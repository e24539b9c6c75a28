/**
 * function-entry / function-return against python3.11 scripts whose calls are
 * known exactly (the scenarios in helpers/call-scenarios.ts), through both
 * transports. Counts cover the script's own functions only (the standard
 * library's calls vary); nesting is checked per thread over all of them.
 */
import { attach } from '../../lib/index';
import { callScenarios, runToExit, ScenarioRun } from '../helpers/call-scenarios';
import { killStarted, startPython } from '../helpers/python';

const TRANSPORTS = ['ring', 'perf'] as const;
type Transport = (typeof TRANSPORTS)[number];

afterEach(killStarted);

/** Runs a script from gate to exit under a trace of entries and returns. */
async function traceScript(transport: Transport, name: string, args: string[] = []): Promise<ScenarioRun> {
  const py = await startPython(name, args);
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'], transport });
  expect(trace.transport).toBe(transport);
  return runToExit(py, trace, py.script);
}

describe.each(TRANSPORTS)('through the %s buffer', (transport) => {
  callScenarios('3.11', (name, args) => traceScript(transport, name, args));
});
