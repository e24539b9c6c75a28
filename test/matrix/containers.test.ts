/**
 * A Python in its own mount and PID namespaces (unshare --mount --pid --fork
 * --root=ROOT: a container), traced from the host by its host PID: its
 * binary is found through /proc/PID/root, its events are those of the same
 * script chroot'ed in our namespaces, and they carry the ids Python knows
 * itself by (nsPid, nsTid) besides the host's.
 */
import * as fs from 'fs';
import * as path from 'path';
import { attach, describe as describeProcess, TraceEvent } from '../../lib/index';
import { Collector, killStarted, until, within } from '../helpers/python';
import { build, BUILD_TIMEOUT_MS, ensureBuilds, Isolation, startIn, Version } from '../helpers/builds';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

interface Ids {
  pid: number;
  main: number;
  a: number;
  b: number;
}

/**
 * Runs ns_threads.py. With `linger`, its threads end only once their events
 * have been delivered; `quick` lets them end at once.
 */
async function runThreads(version: Version, isolation: Isolation, mode: 'linger' | 'quick' = 'linger') {
  const py = await startIn(build(version), 'ns_threads.py', [mode], { isolation });
  const d = describeProcess(py.pid);
  const openedIno = fs.statSync(d.locations[0].openPath).ino; // while the process, its root, lives
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return', 'audit'] });
  const c = new Collector(trace);
  py.go();
  if (mode === 'linger') {
    await py.line((l) => l === 'working');
    const opened = () => c.events.filter((e) => e.type === 'audit' && e.event === 'open').length === 2;
    expect(await until(opened, 5000)).toBe(true);
    py.go();
  }
  const ids = await py.result<Ids>();
  await within(c.closed, 10000, 'close after the script exits');
  expect(c.lost).toEqual([]);
  return { py, c, ids, d, openedIno };
}

/** What each thread did, by its role (a, b, main) instead of its id: comparable across namespaces. */
function story(
  events: TraceEvent[],
  ids: Ids,
  nsTid: (e: TraceEvent) => number | undefined,
  script: string,
): Record<string, string[]> {
  const role = (e: TraceEvent) =>
    nsTid(e) === ids.a ? 'a' : nsTid(e) === ids.b ? 'b' : nsTid(e) === ids.main ? 'main' : `? ${nsTid(e)}`;
  const out: Record<string, string[]> = {};
  for (const e of events) {
    if ('filename' in e ? e.filename !== script : !(e.type === 'audit' && e.event === 'open')) continue;
    (out[role(e)] ??= []).push(
      `${e.type} ${'function' in e ? `${e.function}:${e.lineno}` : ''}${e.type === 'audit' ? e.event : ''}`,
    );
  }
  return out;
}

describe.each(['3.9', '3.11', '3.15'] as const)('Python %s', (version) => {
  test('in a container: nsPid/nsTid are what Python reports, host ids differ, events as on the host', async () => {
    const { py, c, ids, d, openedIno } = await runThreads(version, 'container');
    // PID 1 of its namespace; the host knows it by another number.
    expect(ids.pid).toBe(1);
    expect(ids.main).toBe(1);
    expect(py.pid).not.toBe(1);
    expect(d.executable).toBe(`/usr/bin/python${version}`);
    expect(d.locations[0].openPath).toBe(`/proc/${py.pid}/root/usr/bin/python${version}`);
    // The root's binary, not the host's file of the same name.
    expect(openedIno).toBe(fs.statSync(path.join(build(version).root, d.executable)).ino);

    const mine = c.events.filter((e) => ('filename' in e && e.filename === py.script) || e.type === 'audit');
    expect(mine.length).toBeGreaterThan(0);
    for (const e of mine) {
      expect(e.pid).toBe(py.pid);
      expect(e.nsPid).toBe(ids.pid);
      expect([ids.main, ids.a, ids.b]).toContain(e.nsTid);
      // The host's tid of the main thread is the host pid; other threads differ from their ns ids.
      if (e.nsTid === ids.main) expect(e.tid).toBe(py.pid);
      else expect(e.tid).not.toBe(e.nsTid);
    }
    const hostTid = (ns: number) => new Set(mine.filter((e) => e.nsTid === ns).map((e) => e.tid));
    for (const t of [ids.a, ids.b, ids.main]) expect(hostTid(t).size).toBe(1);

    const seen = story(c.events, ids, (e) => e.nsTid, py.script);
    expect(Object.keys(seen).sort()).toEqual(['a', 'b', 'main']);
    const leaf = (role: string) => seen[role].filter((s) => s.startsWith('function-entry leaf:')).length;
    expect([leaf('a'), leaf('b'), leaf('main')]).toEqual([30, 20, 10]);
    for (const role of ['a', 'b', 'main']) expect(seen[role].filter((s) => s === 'audit open')).toEqual(['audit open']);

    // The same script chroot'ed in our namespaces tells the same story.
    const host = await runThreads(version, 'chroot');
    expect(host.c.events.every((e) => e.nsPid === undefined && e.nsTid === undefined)).toBe(true);
    expect(story(host.c.events, host.ids, (e) => e.tid, host.py.script)).toEqual(seen);
  });
});

test('in a container, threads that end right after their events still carry their nsTid', async () => {
  // nsTid is read from /proc/PID/task/TID when the event is decoded: a thread
  // gone by then has none. Needs the kernel side to record it.
  const { py, c, ids } = await runThreads('3.11', 'container', 'quick');
  const opens = c.events.filter((e) => e.type === 'audit' && e.event === 'open');
  expect(opens.map((e) => e.nsTid).sort()).toEqual([ids.main, ids.a, ids.b].sort());
  for (const e of opens) expect(e.pid).toBe(py.pid);
});

test.each(['3.13', '3.14'] as const)('Python %s in a container: audit events exact, with nsPid 1', async (version) => {
  const py = await startIn(build(version), 'events.py', ['audit'], { isolation: 'container' });
  const trace = await attach(py.pid);
  expect(trace.events).toEqual(['gc-start', 'gc-done', 'import-find-load-start', 'import-find-load-done', 'audit']);
  const c = new Collector(trace);
  py.go();
  await py.result();
  await within(c.closed, 10000, 'close');
  const audits = c.events.filter((e): e is Extract<TraceEvent, { type: 'audit' }> => e.type === 'audit');
  const marks = audits
    .map((e) => e.event)
    .reduce((acc: string[][], ev) => {
      if (ev === 'pytrace.mark') acc.push([]);
      else acc[acc.length - 1]?.push(ev);
      return acc;
    }, []);
  expect(marks[0]).toEqual([
    'open',
    'open',
    'open',
    'sys._getframe',
    'sys._getframe',
    'sys.settrace',
    'pytrace.custom',
  ]);
  for (const e of c.events) expect([e.pid, e.nsPid, e.nsTid]).toEqual([py.pid, 1, 1]);
});
