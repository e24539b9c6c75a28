/**
 * pytrace gc, imports, audit: one line per event, durations paired start to
 * done, and a summary on Ctrl-C or when the target exits.
 */
import { ATTACHED, FINISHED, killAll, Proc, pytrace, script, target } from './helpers';

afterEach(killAll);

/** Starts `command --json` on events.py, runs `step` in the target, and stops as `stop` says. */
async function traced(
  command: string,
  step: string,
  stop: 'sigint' | 'exit',
): Promise<{ events: any[]; summary: any; py: Proc; cli: Proc }> {
  const py = await target('events.py');
  const cli = pytrace(command, String(py.pid), '--json');
  await cli.waitFor(ATTACHED, 'stderr');
  py.send(`${step}\n`);
  await py.waitFor(new RegExp(`^done ${step}$`, 'm'));
  if (stop === 'sigint') cli.kill('SIGINT');
  else py.send('exit\n');
  expect(await cli.exited).toEqual({ code: 0, signal: null });
  expect(cli.stderr).toMatch(FINISHED);
  const objects = cli.lines.map((l) => JSON.parse(l));
  const summary = objects.pop();
  expect(summary).toMatchObject({ type: 'summary', pid: py.pid, lost: 0 });
  for (const e of objects) expect(e).toMatchObject({ pid: py.pid, tid: py.pid });
  return { events: objects, summary, py, cli };
}

test('gc: each collection with its generation, collected objects and duration; Ctrl-C prints the summary', async () => {
  const { events, summary, py } = await traced('gc', 'gc', 'sigint');
  // events.py collects generations 0, 1 and 2, in that order, back to back.
  expect(events.map((e) => [e.type, e.generation])).toEqual([
    ['gc-start', 0],
    ['gc-done', 0],
    ['gc-start', 1],
    ['gc-done', 1],
    ['gc-start', 2],
    ['gc-done', 2],
  ]);
  for (let i = 0; i < events.length; i += 2) {
    const [start, done] = [events[i], events[i + 1]];
    expect(done.durationNs).toBe(done.ts - start.ts);
    expect(done.durationNs).toBeGreaterThanOrEqual(0);
  }
  // Ten cycles of one object each: gone in the first collection.
  expect(events[1].collected).toBeGreaterThanOrEqual(10);
  expect(summary.gc).toMatchObject({
    collections: 3,
    unpaired: 0,
    collected: events.reduce((n, e) => n + (e.collected ?? 0), 0),
  });
  expect(summary.gc.all.totalNs).toBe(events.reduce((n, e) => n + (e.durationNs ?? 0), 0));
  py.endInput();
});

test('imports: starts and dones paired per thread and module, nested ones inside; target exit ends it', async () => {
  const { events, summary, py } = await traced('imports', 'imports', 'exit');
  const starts = events.filter((e) => e.type === 'import-find-load-start');
  const dones = events.filter((e) => e.type === 'import-find-load-done');
  expect(starts.length).toBe(dones.length);
  expect(starts[0].module).toBe('json');
  // Every done comes after its start, innermost first, like brackets.
  const open: any[] = [];
  for (const e of events) {
    if (e.type === 'import-find-load-start') open.push(e);
    else {
      const start = open.pop();
      expect(e.module).toBe(start.module);
      expect(e.durationNs).toBe(e.ts - start.ts);
      expect(e.durationNs).toBeGreaterThanOrEqual(0);
    }
  }
  expect(open).toEqual([]);
  const byModule = new Map(dones.map((e) => [e.module, e]));
  expect(byModule.get('json')!.found).toBe(true);
  expect(byModule.get('json.decoder')!.found).toBe(true);
  expect(byModule.get('no_such_module_here')!.found).toBe(false);
  expect(summary.imports).toMatchObject({ imports: dones.length, found: dones.length - 1, notFound: 1, unpaired: 0 });
  expect(summary.imports.outermostNs).toBe(
    byModule.get('json')!.durationNs + byModule.get('no_such_module_here')!.durationNs,
  );
  expect((await py.exited).code).toBe(0);
});

test('audit: event names, and a count per name', async () => {
  const { events, summary, py } = await traced('audit', 'audit', 'sigint');
  const names = events.map((e) => e.event);
  // sys.audit(), open(), exec(): in program order.
  const at = names.indexOf('pytrace.test');
  expect(at).toBeGreaterThanOrEqual(0);
  expect(names.slice(at)).toEqual(expect.arrayContaining(['open', 'exec']));
  expect(names.indexOf('open', at)).toBeLessThan(names.indexOf('exec', at));
  const counts: Record<string, number> = {};
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
  expect(summary.audit.events).toEqual(counts);
  // The arguments, read from the tuple in the kernel.
  expect(events[at].args).toEqual([1]);
  expect(events.find((e) => e.event === 'open').args).toEqual([script('events.py'), 'r', 524288]);
  py.endInput();
});

test('audit text layout: the arguments as Python shows a tuple', async () => {
  const py = await target('events.py');
  const cli = pytrace('audit', String(py.pid));
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('audit\nexit\n');
  await cli.exited;
  expect(cli.lines).toContainEqual(expect.stringMatching(new RegExp(`^\\d+ +\\d+ pytrace\\.test\\(1,\\)$`)));
  expect(cli.lines).toContainEqual(
    expect.stringMatching(new RegExp(`^\\d+ +\\d+ open\\('${script('events.py')}', 'r', 524288\\)$`)),
  );
});

test('text layout: TIMESTAMP TID EVENT DETAILS, and the summary', async () => {
  const py = await target('events.py');
  const cli = pytrace('gc', String(py.pid));
  await cli.waitFor(ATTACHED, 'stderr');
  py.send('gc\nexit\n');
  expect((await cli.exited).code).toBe(0);
  const tid = String(py.pid).padStart(7);
  const lines = cli.lines;
  expect(lines.slice(0, 6).map((l) => l.replace(/^\d+ /, ''))).toEqual([
    `${tid} gc-start               generation 0`,
    expect.stringMatching(
      new RegExp(`^${tid} gc-done                generation 0, collected \\d+, [\\d.]+ (ns|us|ms)$`),
    ),
    `${tid} gc-start               generation 1`,
    expect.stringMatching(
      new RegExp(`^${tid} gc-done                generation 1, collected \\d+, [\\d.]+ (ns|us|ms)$`),
    ),
    `${tid} gc-start               generation 2`,
    expect.stringMatching(
      new RegExp(`^${tid} gc-done                generation 2, collected \\d+, [\\d.]+ (ns|us|ms)$`),
    ),
  ]);
  // Collections at exit may follow; the summary closes the output.
  expect(lines.join('\n')).toMatch(
    /^gc: \d+ collections, \d+ objects collected\n {2}generation 0: 1 collection, total .*\n {2}generation 1: 1 collection, total .*\n {2}generation 2: \d+ collections, total .*\n {2}all: \d+ collections, total .*$/m,
  );
});
