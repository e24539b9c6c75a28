/**
 * The profile formats from a real exact trace (python3.11, two threads,
 * self time per stack), each read by its own consumer: collapsed parsed as
 * flamegraph.pl reads it, speedscope JSON against speedscope's schema (ajv),
 * pprof by pprof-format's decoder, by protoc against profile.proto and by
 * `go tool pprof`, the HTML page in headless Chromium with no request but
 * its own file.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { collapsedChunks, StackProfile, writeProfile } from '../../lib/index';
import { viewerPageChunks } from '../../lib/profile/html';
import { ExactRun, exactProfile } from '../helpers/exact-profile';
import { chromiumTest, visitPage, WHY_NOT } from '../helpers/chromium';
import { decodePprof, parseCollapsed, speedscopeProblems } from '../helpers/profile-readers';
import { defLine, killStarted, tempDir } from '../helpers/python';

const PROTO_DIR = path.resolve(__dirname, '../fixtures/pprof');
/** Screenshots stay here for a person to look at. */
const ARTIFACTS = process.env.PYTRACE_TEST_ARTIFACTS ?? path.resolve(__dirname, '../../.cache/test-artifacts');
const WORKLOAD = ['outer', 'spin', 'rest', 'crunch'];
/** Named in angle brackets, which pprof's demangler would take for C++ template arguments. */
const LISTCOMP = '<listcomp>';
const HOSTILE = 'evil;frame name\nforged 99';

let run: ExactRun;
let tmp: { dir: string; remove: () => void };

beforeAll(async () => {
  run = await exactProfile('profile_workload.py');
  tmp = tempDir('pytrace-profile-');
  await killStarted();
}, 60000);
afterAll(() => tmp.remove());

const out = (name: string) => path.join(tmp.dir, name);

test("the trace gave both threads, named, and the workload's calls", () => {
  const threads = run.profile.threads();
  expect(threads.map((t) => t.thread.name).sort()).toEqual(['MainThread', 'worker-1']);
  const stacks = threads.flatMap((t) => t.stacks.map((s) => s.frames.map((f) => f.function).join('>')));
  expect(stacks).toEqual(expect.arrayContaining(['outer>spin', 'outer>rest', 'outer', HOSTILE]));
  expect(stacks.some((s) => s.endsWith('crunch>spin'))).toBe(true);
});

test("collapsed: values sum to the profile's total exactly; the hostile name stays in its frame and line", async () => {
  await writeProfile(run.profile, { path: out('p.folded'), threads: true });
  const text = fs.readFileSync(out('p.folded'), 'utf8');
  const lines = parseCollapsed(text);
  expect(lines.reduce((s, l) => s + l.value, 0)).toBe(run.profile.total());
  expect(lines).toHaveLength(run.profile.threads().reduce((n, t) => n + t.stacks.length, 0));
  const own = `(${run.script}:`;
  const main = Object.entries(run.threads).find(([, n]) => n === 'MainThread')![0];
  const hostile = lines.filter((l) => l.frames.some((f) => f.startsWith('evil')));
  expect(hostile.map((l) => l.frames)).toEqual([
    [
      `thread (${main}): MainThread`,
      `evil\\x3bframe\\x20name\\nforged\\x2099 ${own}${defLine(run.script, 'hostile')})`,
    ],
  ]);
  for (const fn of WORKLOAD) expect(lines.some((l) => l.frames.some((f) => f.startsWith(`${fn} ${own}`)))).toBe(true);
});

test("speedscope: valid against speedscope's schema, one profile per thread, weights summing to each thread's total", async () => {
  await writeProfile(run.profile, { path: out('p.speedscope.json'), name: 'workload' });
  const doc = JSON.parse(fs.readFileSync(out('p.speedscope.json'), 'utf8'));
  expect(speedscopeProblems(doc)).toEqual([]);
  expect(doc.profiles).toHaveLength(2);
  run.profile.threads().forEach((t, i) => {
    expect(doc.profiles[i].weights.reduce((a: number, b: number) => a + b, 0)).toBe(t.total);
    expect(doc.profiles[i].unit).toBe('nanoseconds');
  });
  expect(doc.shared.frames.map((f: { name: string }) => f.name)).toEqual(
    expect.arrayContaining([...WORKLOAD, HOSTILE]),
  );
});

describe('pprof', () => {
  let file: string;
  beforeAll(async () => {
    file = out('p.pb.gz');
    await writeProfile(run.profile, { path: file });
  });

  test('pprof-format decodes it: wall/nanoseconds, values summing to the total, thread labels', () => {
    const { profile, str } = decodePprof(fs.readFileSync(file));
    expect(profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['wall/nanoseconds']);
    expect(profile.sample.reduce((s, x) => s + Number(x.value[0]), 0)).toBe(run.profile.total());
    const names = new Set(
      profile.sample.flatMap((s) => s.label.filter((l) => str(l.key) === 'thread_name').map((l) => str(l.str))),
    );
    expect([...names].sort()).toEqual(['MainThread', 'worker-1']);
    const spin = profile.function.find((f) => str(f.name) === 'spin')!;
    expect(str(spin.filename)).toBe(run.script);
    expect(Number(spin.startLine)).toBe(defLine(run.script, 'spin'));
  });

  test('protoc decodes it against profile.proto', () => {
    const text = execFileSync('protoc', ['--decode', 'perftools.profiles.Profile', '-I', PROTO_DIR, 'profile.proto'], {
      input: zlib.gunzipSync(fs.readFileSync(file)),
    }).toString();
    expect(text).toMatch(/^sample_type \{/);
    expect(text).toContain(`string_table: ${JSON.stringify(run.script)}`);
    expect(text).toContain('string_table: "spin"');
    expect(text).toContain('string_table: "thread_name"');
  });

  test("go tool pprof reads it: the total, and the workload's functions", () => {
    const top = execFileSync('go', ['tool', 'pprof', '-top', '-unit=ns', '-nodefraction=0', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    expect(top).toContain('Type: wall');
    expect(top).toContain(`of ${run.profile.total()}ns total`);
    for (const fn of [...WORKLOAD, LISTCOMP]) expect(top).toMatch(new RegExp(`\\s${fn}$`, 'm'));
    expect(top).not.toContain('<unknown>');
  });
});

test('go tool pprof reads a sampled profile as samples and cpu time (count x period)', async () => {
  // The trace's stacks, each as if sampled a few times, every 10 ms.
  const sampled = new StackProfile({ type: 'samples', unit: 'count' }, 10_000_000);
  let n = 0;
  for (const t of run.profile.threads()) for (const s of t.stacks) sampled.add(t.thread, s.frames, 1 + (n++ % 3));
  const file = out('sampled.pprof');
  await writeProfile(sampled, { path: file });
  const pprof = (index: string) =>
    execFileSync(
      'go',
      ['tool', 'pprof', '-top', `-sample_index=${index}`, ...(index === 'cpu' ? ['-unit=ns'] : []), file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ).toString();
  expect(pprof('cpu')).toContain('Type: cpu');
  expect(pprof('cpu')).toContain(`of ${sampled.total() * 10_000_000}ns total`);
  expect(pprof('samples')).toContain('Type: samples');
  expect(pprof('samples')).toContain(`of ${sampled.total()} total`);
});

chromiumTest(
  `html: opens offline in headless Chromium, fetches nothing, draws the workload's function names${WHY_NOT}`,
  async () => {
    const file = out('flame.html');
    await writeProfile(run.profile, { path: file, name: 'profile_workload.py' });
    const png = path.join(ARTIFACTS, 'profile-flame.png');
    const visit = await visitPage(file, png, (drawn) =>
      WORKLOAD.filter((f) => f !== 'crunch').every((f) => drawn.includes(f)),
    );
    expect(visit.errors).toEqual([]);
    expect(visit.requests).toEqual([`file://${file}`]);
    expect(visit.title).toContain('profile_workload.py');
    // The first thread is shown: the main one.
    for (const fn of ['outer', 'spin', 'rest']) expect(visit.drawnText).toContain(fn);
    expect(fs.statSync(png).size).toBeGreaterThan(10000);
  },
  60000,
);

chromiumTest(
  `collapsed, read by speedscope's importer of the folded format: py-spy's frames, the workload's names drawn${WHY_NOT}`,
  async () => {
    // The viewer's page around the collapsed text, as if the file were opened in it.
    const file = out('folded.html');
    fs.writeFileSync(file, [...viewerPageChunks('profile.folded', collapsedChunks(run.profile), 'folded')].join(''));
    const own = (fn: string) => `${fn} (${run.script}:${defLine(run.script, fn)})`;
    const visit = await visitPage(file, path.join(ARTIFACTS, 'profile-folded.png'), (drawn) =>
      drawn.includes(own('outer')),
    );
    expect(visit.errors).toEqual([]);
    expect(visit.console).toContain('Importing as collapsed stack format');
    expect(visit.requests).toEqual([`file://${file}`]);
    expect(visit.drawnText).toEqual(expect.arrayContaining([own('outer'), own('crunch')]));
  },
  60000,
);
