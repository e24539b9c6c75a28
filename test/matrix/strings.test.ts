/**
 * Strings on every build: audit arguments of every kind (3.12+ keep an int's
 * sign and size in lv_tag and a str's ASCII characters 8 bytes earlier), and,
 * where call markers fire, long names in events and in the kernel's counts.
 */
import { attach, AuditEvent, countCalls, FrameEvent } from '../../lib/index';
import { Collector, killStarted, within } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, startIn, Version, VERSIONS } from '../helpers/builds';
import { cut, expectAuditArgs, expectedLongNameFrames, isLongNameFrame, shownFrame } from '../helpers/string-cases';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

const WITH_CALLS: Version[] = ['3.9', '3.11', '3.15'];

test.each(VERSIONS)('Python %s: audit arguments of every kind, typed, as repr() shows them', async (version) => {
  const py = await startIn(build(version), 'audit_args.py');
  const trace = await attach(py.pid, { events: ['audit'] });
  const c = new Collector(trace);
  py.go();
  const reprs = new Map(await py.result<[string, string][]>());
  await within(c.closed, 10000, 'close after the script exits');
  expectAuditArgs(c.ofType('audit') as AuditEvent[], reprs);
  expect(c.lost).toEqual([]);
});

test.each(WITH_CALLS)(
  'Python %s: names whole up to 4096 bytes, longer ones cut on a character boundary',
  async (version) => {
    const py = await startIn(build(version), 'long_names.py', ['2']);
    const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
    const c = new Collector(trace);
    py.go();
    const cases = await py.result<[string, string][]>();
    await within(c.closed, 10000, 'close after the script exits');
    expect((c.events as FrameEvent[]).filter(isLongNameFrame).map(shownFrame)).toEqual(
      expectedLongNameFrames(cases, 2),
    );
    expect(c.lost).toEqual([]);
  },
);

test.each(WITH_CALLS)('Python %s: top counts long names exactly', async (version) => {
  const py = await startIn(build(version), 'long_names.py', ['5']);
  const counter = await countCalls({ pids: [py.pid] });
  try {
    py.go();
    const cases = await py.result<[string, string][]>();
    const shown = counter
      .read()
      .filter(isLongNameFrame)
      .map((x) => ({ filename: x.filename, function: x.function, count: x.count, truncated: x.truncated ?? false }));
    const expected = cases.map(([file, fn]) => {
      const f = cut(file);
      const n = cut(fn);
      return { filename: f.text, function: n.text, count: 5, truncated: f.truncated || n.truncated };
    });
    const key = (x: { filename: string; function: string }) => `${x.filename}\n${x.function}`;
    expect(shown.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
  } finally {
    await counter.close();
  }
});
