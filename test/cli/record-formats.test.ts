/**
 * pytrace record in every profile format, chosen by --format or by the
 * output file's name, in both modes: each file read by its format's own
 * reader (collapsed as flamegraph.pl reads it, speedscope against its schema,
 * pprof by pprof-format's decoder, the HTML page's embedded profile). With
 * --exact, the flame graph of exact time against what the script measured:
 * g's self time is its three sleeps, f's excludes g. Sampled, the values sum
 * to the samples the summary reports.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ATTACHED, killAll, pytrace, PYTHON, script } from './helpers';
import { decodePprof, parseCollapsed, speedscopeProblems } from '../helpers/profile-readers';

afterEach(killAll);

const TIMED = path.resolve(__dirname, '../scripts/timed_calls.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-record-formats-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Measured {
  slept: { g: number[]; h: number[] };
  worker: number;
}

/** record --exact ARGS -- python timed_calls.py; what the script measured, and the CLI's output. */
async function recordExact(...args: string[]): Promise<{ result: Measured; stdout: string; stderr: string }> {
  const cli = pytrace('record', '--exact', ...args, '--', PYTHON, TIMED);
  await cli.waitFor(ATTACHED, 'stderr');
  await cli.waitFor(/^ready$/m);
  cli.child.stdin!.write('go\n');
  expect((await cli.exited).code).toBe(0);
  const line = /^result (.*)$/m.exec(cli.stdout)!;
  return { result: JSON.parse(line[1]) as Measured, stdout: cli.stdout, stderr: cli.stderr };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Within 1 ms per call of what the script measured (nanoseconds). */
const near = (ns: number, measured: number[]) => Math.abs(ns - sum(measured)) < 1e6 * measured.length;

/** Self time (ns) per stack of function names, from the script's own file only, per thread. */
type Stacks = Map<string, number>;

function checkExact(stacks: Stacks, result: Measured): void {
  const g = [...stacks].filter(([k]) => k.endsWith('main;f;g'));
  expect(g).toHaveLength(1);
  expect(near(g[0][1], result.slept.g)).toBe(true);
  // f's self time excludes g's: a loop of three calls, far below a millisecond.
  const f = [...stacks].filter(([k]) => k.endsWith('main;f'));
  expect(f).toHaveLength(1);
  expect(f[0][1]).toBeGreaterThan(0);
  expect(f[0][1]).toBeLessThan(1e6);
  const h = [...stacks].filter(([k]) => k.endsWith('worker;h'));
  expect(h).toHaveLength(1);
  expect(near(h[0][1], result.slept.h)).toBe(true);
}

const own = (frame: string) => frame.includes(`(${TIMED}:`);

test('--exact -o x.folded: collapsed exact time, g its sleeps, f without g', async () => {
  const file = path.join(tmp, 'exact.folded');
  const { result, stderr } = await recordExact('-o', file);
  expect(stderr).toMatch(
    /^pytrace: \d+ returns: \d+ stacks of exact self time .* written to .*exact\.folded \(collapsed\)$/m,
  );
  const stacks: Stacks = new Map();
  for (const l of parseCollapsed(fs.readFileSync(file, 'utf8'))) {
    const names = l.frames.filter(own).map((f) => f.slice(0, f.indexOf(' (')));
    if (names.length) stacks.set(names.join(';'), (stacks.get(names.join(';')) ?? 0) + l.value);
  }
  checkExact(stacks, result);
});

test('--exact --format speedscope -o x.json (not the timeline a plain .json is with --exact): valid, ns, per thread', async () => {
  const file = path.join(tmp, 'exact.json');
  const { result } = await recordExact('--format', 'speedscope', '-o', file);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(speedscopeProblems(doc)).toEqual([]);
  const frames = doc.shared.frames as { name: string; file: string }[];
  const stacks: Stacks = new Map();
  for (const p of doc.profiles as { type: string; unit: string; samples: number[][]; weights: number[] }[]) {
    expect(p.type).toBe('sampled');
    expect(p.unit).toBe('nanoseconds');
    p.samples.forEach((s, i) => {
      const names = s.filter((id) => frames[id].file === TIMED).map((id) => frames[id].name);
      if (names.length) stacks.set(names.join(';'), (stacks.get(names.join(';')) ?? 0) + p.weights[i]);
    });
  }
  checkExact(stacks, result);
  expect(doc.profiles.length).toBeGreaterThanOrEqual(2); // the main thread and the worker
});

test('--exact -o x.pb.gz: pprof of wall nanoseconds, exact values', async () => {
  const file = path.join(tmp, 'exact.pb.gz');
  const { result } = await recordExact('-o', file);
  const { profile, str } = decodePprof(fs.readFileSync(file));
  expect(profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['wall/nanoseconds']);
  const fn = new Map(profile.function.map((f) => [Number(f.id), f]));
  const loc = new Map(profile.location.map((l) => [Number(l.id), l]));
  const stacks: Stacks = new Map();
  for (const s of profile.sample) {
    // pprof lists a sample's locations leaf first.
    const names = [...s.locationId]
      .reverse()
      .map((id) => fn.get(Number(loc.get(Number(id))!.line[0].functionId))!)
      .filter((f) => str(f.filename) === TIMED)
      .map((f) => str(f.name));
    if (names.length) stacks.set(names.join(';'), (stacks.get(names.join(';')) ?? 0) + Number(s.value[0]));
  }
  checkExact(stacks, result);
});

test('--exact --format html (stdout): the page carries the exact profile', async () => {
  const { result, stdout } = await recordExact('--format', 'html');
  // The script's own lines come first: the page is written once the trace ends.
  const page = stdout.slice(stdout.indexOf('<!DOCTYPE html>'));
  expect(page.trimEnd().endsWith('</html>')).toBe(true);
  const data = /<script type="application\/octet-stream" id="pytrace-profile">\n([^<]*)<\/script>/.exec(page)![1];
  const doc = JSON.parse(Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8'));
  expect(speedscopeProblems(doc)).toEqual([]);
  const frames = doc.shared.frames as { name: string; file: string }[];
  const g = frames.findIndex((f) => f.file === TIMED && f.name === 'g');
  const total = sum(
    (doc.profiles as { samples: number[][]; weights: number[] }[]).flatMap((p) =>
      p.samples.map((s, i) => (s[s.length - 1] === g ? p.weights[i] : 0)),
    ),
  );
  expect(near(total, result.slept.g)).toBe(true);
});

/** The samples the summary says were written. */
const written = (stderr: string) => Number(/^pytrace: (\d+) samples written to /m.exec(stderr)![1]);

describe('sampled', () => {
  const spin = script('spin_first.py');

  test('-o x.json is speedscope: valid, weights summing to the samples', async () => {
    const file = path.join(tmp, 'sampled.json');
    const cli = pytrace('record', '--hz', '199', '-o', file, '--', PYTHON, spin);
    expect((await cli.exited).code).toBe(3);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(speedscopeProblems(doc)).toEqual([]);
    const n = written(cli.stderr);
    expect(n).toBeGreaterThan(20);
    expect(sum((doc.profiles as { weights: number[] }[]).flatMap((p) => p.weights))).toBe(n);
    expect((doc.shared.frames as { name: string }[]).some((f) => f.name === 'first')).toBe(true);
  });

  test('--format pprof -o FILE: samples/count summing to the samples, and cpu time', async () => {
    const file = path.join(tmp, 'sampled.out');
    const cli = pytrace('record', '--hz', '199', '--format', 'pprof', '-o', file, '--', PYTHON, spin);
    expect((await cli.exited).code).toBe(3);
    const { profile, str } = decodePprof(fs.readFileSync(file));
    expect(profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual([
      'samples/count',
      'cpu/nanoseconds',
    ]);
    expect(sum(profile.sample.map((s) => Number(s.value[0])))).toBe(written(cli.stderr));
    expect(profile.function.some((f) => str(f.name) === 'second')).toBe(true);
  });

  test('-o x.html: a page carrying the samples', async () => {
    const file = path.join(tmp, 'sampled.html');
    const cli = pytrace('record', '--hz', '199', '-o', file, '--', PYTHON, spin);
    expect((await cli.exited).code).toBe(3);
    const page = fs.readFileSync(file, 'utf8');
    const data = /<script type="application\/octet-stream" id="pytrace-profile">\n([^<]*)<\/script>/.exec(page)![1];
    const doc = JSON.parse(Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8'));
    expect(speedscopeProblems(doc)).toEqual([]);
    expect(sum((doc.profiles as { weights: number[] }[]).flatMap((p) => p.weights))).toBe(written(cli.stderr));
  });
});

test.each([
  [['--format', 'trace-json', '1'], /--format trace-json is a timeline of every call: it needs --exact/],
  [['-o', 'x.trace.json', '1'], /x\.trace\.json names a timeline \(\.trace\.json\): that needs --exact/],
  [['--format', 'flame', '1'], /unknown --format "flame"; formats: collapsed, speedscope, pprof, html, trace-json/],
  [['--exact', '--format', 'pprof', '--max-size', '1M', '1'], /--max-size caps the trace-json timeline/],
])('record %j: a usage error (exit 2) that says why', async (args, message) => {
  const cli = pytrace('record', ...args);
  expect((await cli.exited).code).toBe(2);
  expect(cli.stderr).toMatch(message);
});
