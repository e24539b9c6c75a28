/**
 * The profile formats over profiles built here: exact lines and values,
 * hostile names that cannot forge a frame or a line, what pprof and
 * speedscope carry, and the choice of format by name or file extension.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { PassThrough } from 'stream';
import { collapsedChunks } from '../../lib/profile/collapsed';
import { chosenFormat, formatForPath, parseProfileFormat, writeProfile } from '../../lib/profile/formats';
import { htmlChunks } from '../../lib/profile/html';
import { pprofProfile } from '../../lib/profile/pprof';
import { speedscopeChunks } from '../../lib/profile/speedscope';
import { StackFrame, StackProfile } from '../../lib/profile/stacks';
import { decodePprof, parseCollapsed, speedscopeProblems } from '../helpers/profile-readers';

const frame = (fn: string, filename = 'app.py', lineno = 1, firstLineno?: number): StackFrame =>
  firstLineno === undefined ? { function: fn, filename, lineno } : { function: fn, filename, lineno, firstLineno };
const main = { pid: 40, tid: 40, name: 'MainThread' };
const worker = { pid: 40, tid: 41 };

function sampled(): StackProfile {
  const p = new StackProfile({ type: 'samples', unit: 'count' }, 10_000_000);
  p.add(main, [frame('<module>', 'app.py', 30), frame('work', 'app.py', 12, 10)], 5);
  p.add(main, [frame('<module>', 'app.py', 30), frame('work', 'app.py', 12, 10), frame('leaf', 'lib/x.py', 3)], 2);
  p.add(worker, [frame('run', '/usr/lib/python3.11/threading.py', 975), frame('work', 'app.py', 13, 10)], 4);
  return p;
}

const collapsed = (p: StackProfile, threads = false) => Buffer.concat([...collapsedChunks(p, { threads })]).toString();

/** Names a traced program can give itself. */
const HOSTILE = [
  'a;b',
  'line\nbreak',
  'cr\rhere',
  'sp ace 7',
  '\x1b[31mred',
  'back\\slash',
  'tab\there',
  '\u2028sep',
  'x (f.py:1);y',
];

describe('collapsed', () => {
  test('py-spy frames, outermost first, one line per distinct stack, values exact', () => {
    expect(collapsed(sampled())).toBe(
      '<module> (app.py:30);work (app.py:12) 5\n' +
        '<module> (app.py:30);work (app.py:12);leaf (lib/x.py:3) 2\n' +
        'run (/usr/lib/python3.11/threading.py:975);work (app.py:13) 4\n',
    );
  });

  test("with threads, each stack starts with py-spy's thread frame", () => {
    const lines = collapsed(sampled(), true).split('\n');
    expect(lines[0]).toBe('thread (40): MainThread;<module> (app.py:30);work (app.py:12) 5');
    expect(lines[2]).toBe('thread (41);run (/usr/lib/python3.11/threading.py:975);work (app.py:13) 4');
  });

  test('an unknown line is left out, as py-spy --nolineno writes it; an empty stack still counts', () => {
    const p = new StackProfile({ type: 'samples', unit: 'count' });
    p.add(main, [frame('f', 'a.py', 0)], 1);
    p.add(main, [], 2);
    expect(collapsed(p)).toBe('f (a.py) 1\nunknown 2\n');
  });

  test('hostile names cannot forge a frame or a line; the values still sum exactly', () => {
    const p = new StackProfile({ type: 'samples', unit: 'count' });
    HOSTILE.forEach((name, i) =>
      p.add({ pid: 1, tid: 1, name }, [frame('root'), frame(name, `${name}.py`, i + 1)], i + 1),
    );
    const text = collapsed(p, true);
    const lines = parseCollapsed(text);
    expect(lines).toHaveLength(HOSTILE.length);
    expect(lines.map((l) => l.frames.length)).toEqual(HOSTILE.map(() => 3));
    expect(lines.reduce((s, l) => s + l.value, 0)).toBe(p.total());
    // The function is what comes before the frame's first " (": spaces in it are escaped too.
    expect(lines.map((l) => l.frames[2].slice(0, l.frames[2].indexOf(' (')))).toEqual([
      'a\\x3bb',
      'line\\nbreak',
      'cr\\rhere',
      'sp\\x20ace\\x207',
      '\\x1b[31mred',
      'back\\\\slash',
      'tab\\there',
      '\\u2028sep',
      'x\\x20(f.py:1)\\x3by',
    ]);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u2028]/);
  });

  test('many stacks come in pieces whose lines are whole and whose values sum to the total', () => {
    const p = new StackProfile({ type: 'samples', unit: 'count' });
    for (let i = 0; i < 60000; i++) p.add(main, [frame('root'), frame(`f${i % 997}`), frame(`g${i}`)], (i % 7) + 1);
    const chunks = [...collapsedChunks(p)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c[c.length - 1]).toBe(0x0a);
    const lines = parseCollapsed(Buffer.concat(chunks).toString());
    expect(lines).toHaveLength(60000);
    expect(lines.reduce((s, l) => s + l.value, 0)).toBe(p.total());
  });
});

test('collapsed: a line longer than a piece, and names beyond ASCII, come out whole', () => {
  const p = new StackProfile({ type: 'samples', unit: 'count' });
  const long = 'x'.repeat(3 << 20);
  p.add(main, [frame('a')], 1);
  p.add(main, [frame('a'), frame(long)], 2);
  p.add(main, [frame('café', 'données/中文.py', 4)], 3);
  expect(collapsed(p)).toBe(`a (app.py:1) 1\na (app.py:1);${long} (app.py:1) 2\ncafé (données/中文.py:4) 3\n`);
});

describe('speedscope', () => {
  const parse = (p: StackProfile) => JSON.parse([...speedscopeChunks(p, { name: 'run' })].join(''));

  test("valid against speedscope's schema: shared frames, one sampled profile per thread", () => {
    const doc = parse(sampled());
    expect(speedscopeProblems(doc)).toEqual([]);
    expect(doc.shared.frames[0]).toEqual({ name: '<module>', file: 'app.py', line: 30 });
    expect(doc.profiles.map((x: { name: string }) => x.name)).toEqual([
      'MainThread (thread 40, pid 40)',
      'thread 41 (pid 40)',
    ]);
    expect(doc.profiles[0]).toMatchObject({
      type: 'sampled',
      unit: 'none',
      startValue: 0,
      endValue: 7,
      samples: [
        [0, 1],
        [0, 1, 2],
      ],
      weights: [5, 2],
    });
    expect(doc.profiles[1]).toMatchObject({ samples: [[3, 4]], weights: [4], endValue: 4 });
  });

  test('nanosecond profiles say so; hostile names come back exactly', () => {
    const p = new StackProfile({ type: 'wall', unit: 'nanoseconds' });
    HOSTILE.forEach((name) => p.add({ pid: 1, tid: 2, name }, [frame(name, name)], 1000));
    const doc = parse(p);
    expect(speedscopeProblems(doc)).toEqual([]);
    expect(doc.profiles[0].unit).toBe('nanoseconds');
    expect(doc.shared.frames.map((f: { name: string }) => f.name)).toEqual(HOSTILE);
  });

  test('the schema check can fail', () => {
    expect(speedscopeProblems({ ...parse(sampled()), profiles: [{ type: 'sampled', unit: 'count' }] })).not.toEqual([]);
  });
});

describe('pprof', () => {
  test('sampled: samples/count and cpu/nanoseconds, period, leaf-first locations, functions, thread labels', () => {
    const buf = Buffer.from(pprofProfile(sampled()).encode());
    const { profile, str } = decodePprof(zlib.gzipSync(buf));
    expect(profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual([
      'samples/count',
      'cpu/nanoseconds',
    ]);
    expect(`${str(profile.periodType!.type)}/${str(profile.periodType!.unit)}`).toBe('cpu/nanoseconds');
    expect(Number(profile.period)).toBe(10_000_000);
    expect(profile.sample.map((s) => s.value.map(Number))).toEqual([
      [5, 50_000_000],
      [2, 20_000_000],
      [4, 40_000_000],
    ]);
    const fnOf = (locId: number | bigint) => {
      const loc = profile.location.find((l) => Number(l.id) === Number(locId))!;
      const fn = profile.function.find((f) => Number(f.id) === Number(loc.line[0].functionId))!;
      return `${str(fn.name)}@${str(fn.filename)}:${Number(loc.line[0].line)} def ${Number(fn.startLine)}`;
    };
    expect(profile.sample[1].locationId.map(fnOf)).toEqual([
      'leaf@lib/x.py:3 def 0',
      'work@app.py:12 def 10',
      '<module>@app.py:30 def 0',
    ]);
    // No system name: pprof would demangle it (see lib/profile/pprof.ts).
    expect(profile.function.map((f) => Number(f.systemName))).toEqual(profile.function.map(() => 0));
    // Two lines of work share its function.
    expect(profile.function.filter((f) => str(f.name) === 'work')).toHaveLength(1);
    const labels = (i: number) =>
      Object.fromEntries(profile.sample[i].label.map((l) => [str(l.key), Number(l.num) || str(l.str)]));
    expect(labels(0)).toEqual({ pid: 40, thread_id: 40, thread_name: 'MainThread' });
    expect(labels(2)).toEqual({ pid: 40, thread_id: 41 });
  });

  test('exact: wall/nanoseconds alone; hostile names are strings like any', () => {
    const p = new StackProfile({ type: 'wall', unit: 'nanoseconds' });
    HOSTILE.forEach((name) => p.add({ pid: 1, tid: 2 }, [frame(name, name)], 7));
    const { profile, str } = decodePprof(zlib.gzipSync(pprofProfile(p).encode()));
    expect(profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['wall/nanoseconds']);
    expect(profile.function.map((f) => str(f.name))).toEqual(HOSTILE);
    expect(profile.sample.reduce((s, x) => s + Number(x.value[0]), 0)).toBe(p.total());
  });
});

test('speedscope and HTML come in bounded pieces: a long profile is never one string', () => {
  const p = new StackProfile({ type: 'samples', unit: 'count' });
  for (let i = 0; i < 30000; i++) p.add(main, [frame('root'), frame(`f${i}`), frame(`g${i % 13}`)], 1);
  for (const chunks of [[...speedscopeChunks(p)], [...htmlChunks(p)].slice(0, -2)]) {
    expect(chunks.length).toBeGreaterThan(10);
    // One piece is about 64 KiB (its base64 a third more), plus one frame or stack.
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(100_000);
  }
  const doc = JSON.parse([...speedscopeChunks(p)].join(''));
  expect(speedscopeProblems(doc)).toEqual([]);
  expect(doc.profiles[0].weights).toHaveLength(30000);
});

test('HTML: the page carries the profile as base64 and escapes its title; no name of the program becomes markup', () => {
  const p = new StackProfile({ type: 'samples', unit: 'count' });
  p.add({ pid: 1, tid: 1, name: '</script><script>alert(1)</script>' }, [frame('<img src=x onerror=alert(2)>')], 1);
  const page = [...htmlChunks(p, { name: '</title><b>x</b>' })].join('');
  expect(page).toContain('<title>&lt;/title&gt;&lt;b&gt;x&lt;/b&gt;</title>');
  expect(page.match(/<script/g)).toHaveLength(3);
  expect(page).not.toContain('alert(1)');
  expect(page).not.toContain('alert(2)');
  const data = /<script type="application\/octet-stream" id="pytrace-profile">\n([^<]*)<\/script>/.exec(page)![1];
  const doc = JSON.parse(Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8'));
  expect(speedscopeProblems(doc)).toEqual([]);
  expect(doc.shared.frames[0].name).toBe('<img src=x onerror=alert(2)>');
});

describe('choosing and writing', () => {
  test.each([
    ['out.txt', 'collapsed'],
    ['out.folded', 'collapsed'],
    ['out.collapsed', 'collapsed'],
    ['out.speedscope.json', 'speedscope'],
    ['OUT.JSON', 'speedscope'],
    ['out.pb.gz', 'pprof'],
    ['out.pprof', 'pprof'],
    ['flame.html', 'html'],
  ])('%s is %s', (file, format) => expect(formatForPath(file)).toBe(format));

  test('an unknown extension or format name is a PYTRACE_BAD_OPTION that lists what is known', () => {
    expect(() => formatForPath('out.svg')).toThrow(
      expect.objectContaining({ code: 'PYTRACE_BAD_OPTION', message: expect.stringContaining('.pb.gz') }),
    );
    expect(() => parseProfileFormat('flamegraph')).toThrow(
      expect.objectContaining({
        code: 'PYTRACE_BAD_OPTION',
        message: expect.stringContaining('collapsed, speedscope, pprof, html'),
      }),
    );
    expect(() => chosenFormat({})).toThrow(expect.objectContaining({ code: 'PYTRACE_BAD_OPTION' }));
    expect(chosenFormat({ format: 'pprof', path: 'x.txt' })).toBe('pprof');
  });

  test('writeProfile writes to a stream or a file, by format or extension', async () => {
    const out = new PassThrough();
    const got: Buffer[] = [];
    out.on('data', (b: Buffer) => got.push(b));
    await expect(writeProfile(sampled(), { format: 'collapsed', stream: out, threads: true })).resolves.toBe(
      'collapsed',
    );
    expect(Buffer.concat(got).toString()).toBe(collapsed(sampled(), true));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-formats-'));
    try {
      const file = path.join(dir, 'p.pb.gz');
      await expect(writeProfile(sampled(), { path: file })).resolves.toBe('pprof');
      expect(decodePprof(fs.readFileSync(file)).profile.sample).toHaveLength(3);
      await expect(writeProfile(sampled(), { path: file, stream: out })).rejects.toMatchObject({
        code: 'PYTRACE_BAD_OPTION',
      });
      await expect(writeProfile(sampled(), { path: path.join(dir, 'p.svg') })).rejects.toMatchObject({
        code: 'PYTRACE_BAD_OPTION',
      });
      // A file that cannot be written is a PytraceError that names it, and leaves no cut file.
      const missing = path.join(dir, 'no-such-dir', 'p.txt');
      await expect(writeProfile(sampled(), { path: missing })).rejects.toMatchObject({
        code: 'PYTRACE_BAD_OPTION',
        message: expect.stringContaining(`Cannot write the profile to ${missing}: ENOENT`),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
