/**
 * Every operand form, fetched in the kernel from a live process: sdt-fixture
 * fires each marker site with known values (test/fixtures/sdt), in the
 * executable and in its shared library, and the trace must carry exactly
 * those values, as many times as they fired, while the semaphores go up on
 * attach and back to 0 on detach.
 */
import * as fs from 'fs';
import { attach, EventName, probes, ProbeLocation, Trace, TraceEvent } from '../../lib';
import { Fixture, startFixture } from '../helpers/fixtures';
import { readSemaphore, siteBytes } from '../helpers/target-memory';

type Obj = 'exe' | 'lib';
type Fields = Record<string, string | number | boolean>;

interface Site {
  obj: Obj;
  marker: string;
  /** The note's argument text; null where gcc chose it. */
  args: string | null;
  event: EventName;
  /** The fields each firing carries; i is the firing's index. */
  fields: (i: number) => Fields;
}

const frame = (filename: string, fn: string, lineno: number) => ({ filename, function: fn, lineno });
const site = (
  obj: Obj,
  marker: string,
  args: string | null,
  event: EventName,
  fields: Fields | ((i: number) => Fields),
): Site => ({
  obj,
  marker,
  args,
  event,
  fields: typeof fields === 'function' ? fields : () => fields,
});

/** In the order the fixture fires them. */
const SITES: Site[] = [
  site('exe', 'function__entry', '8@%rdi 8@8(%rsi) -4@$42', 'function-entry', frame('reg.py', 'via_offset', 42)),
  site(
    'exe',
    'function__entry',
    '8@-96(%rbp,%rax,8) 8@fx_func_ptr(%rip) -4@-12(%rbp)',
    'function-entry',
    frame('indexed.py', 'via_symbol', 1234),
  ),
  site('exe', 'function__entry', null, 'function-entry', frame('compiled.py', 'compiled_entry', 7)),
  site(
    'exe',
    'function__return',
    '8@fx_names+8(%rip) 8@(%rsp) -4@%eax',
    'function-return',
    frame('symbol_plus.py', 'via_stack_top', -7),
  ),
  site('exe', 'function__return', null, 'function-return', (i) => frame('compiled.py', 'compiled_entry', i + 100)),
  site(
    'exe',
    'line',
    '8@16+fx_names(%rip) 8@0(%rdx) 4@%ecx',
    'line',
    frame('plus_symbol.py', 'via_zero_offset', 3000000000),
  ),
  site('exe', 'line', '8@%r12 8@-8(%r13) -4@(%r14,%r15,4)', 'line', frame('high_regs.py', 'via_negative_offset', -99)),
  site('exe', 'gc__start', '-4@$2', 'gc-start', { generation: 2 }),
  site('exe', 'gc__start', '-4@$-7', 'gc-start', { generation: -7 }),
  site('exe', 'gc__start', '-1@%sil', 'gc-start', { generation: -1 }),
  site('exe', 'gc__start', '-2@%dx', 'gc-start', { generation: -2 }),
  site('exe', 'gc__done', '-8@%rbx', 'gc-done', (i) => ({ collected: i })),
  site('exe', 'gc__done', '-8@$-5000000000', 'gc-done', { collected: -5000000000 }),
  site('exe', 'gc__done', '-8@fx_collected(%rip)', 'gc-done', { collected: 123456789012 }),
  site('exe', 'gc__done', null, 'gc-done', (i) => ({ collected: -3 * i - 1000 })),
  site('exe', 'import__find__load__start', '8@%rax', 'import-find-load-start', { module: 'via_rax' }),
  site('exe', 'import__find__load__start', '8@(%rdi,%rsi)', 'import-find-load-start', { module: 'via_base_index' }),
  site('exe', 'import__find__load__done', '8@%r8 1@%r10b', 'import-find-load-done', {
    module: 'byte_flag',
    found: false,
  }),
  site('exe', 'import__find__load__done', '8@fx_module_ptr(%rip) -4@8(%rsp)', 'import-find-load-done', {
    module: 'sym_module',
    found: true,
  }),
  site('exe', 'audit', '8@%rdi 8@%rsi', 'audit', { event: 'fixture.audit' }),
  site('exe', 'audit', '8@16(%rbp,%rcx,2) 8@$0', 'audit', { event: 'audit.scaled' }),
  site('lib', 'function__entry', null, 'function-entry', frame('lib.py', 'lib_entry', 11)),
  site('lib', 'gc__start', null, 'gc-start', (i) => ({ generation: i + 10 })),
  site('lib', 'import__find__load__start', '8@fxl_module_ptr(%rip)', 'import-find-load-start', { module: 'lib_rip' }),
  site('lib', 'audit', '8@-16(%rbp) 8@%rsi', 'audit', { event: 'lib.audit' }),
];

const ALL_EVENTS: EventName[] = [...new Set(SITES.map((s) => s.event))];

/** What `reps` firings of the sites whose events are traced must produce, in order. */
function expectedEvents(reps: number, events: EventName[]): Fields[] {
  const out: Fields[] = [];
  for (let i = 0; i < reps; i++)
    for (const s of SITES) if (events.includes(s.event)) out.push({ type: s.event, ...s.fields(i) });
  return out;
}

/** Each distinct semaphore of the process, with the locations that use it. */
function semaphores(locs: ProbeLocation[]): { address: bigint; users: ProbeLocation[] }[] {
  const by = new Map<bigint, ProbeLocation[]>();
  for (const l of locs)
    if (l.semaphoreAddress !== undefined) by.set(l.semaphoreAddress, [...(by.get(l.semaphoreAddress) ?? []), l]);
  return [...by].map(([address, users]) => ({ address, users }));
}

const MARKER_OF: Record<EventName, string> = {
  'function-entry': 'function__entry',
  'function-return': 'function__return',
  line: 'line',
  'gc-start': 'gc__start',
  'gc-done': 'gc__done',
  'import-find-load-start': 'import__find__load__start',
  'import-find-load-done': 'import__find__load__done',
  audit: 'audit',
};

let fx: Fixture | undefined;
let trace: Trace | undefined;

afterEach(async () => {
  await trace?.detach();
  trace = undefined;
  await fx?.stop();
  fx = undefined;
});

/** Attaches for `events`, fires `reps` times, and checks semaphores before, during and after, and every event. */
async function traceFixture(events: EventName[], reps: number): Promise<void> {
  fx = await startFixture(reps);
  const pid = fx.pid;
  const locs = probes(pid);
  const objPath: Record<Obj, string> = { exe: fs.realpathSync(fx.exe), lib: fs.realpathSync(fx.lib) };
  const sems = semaphores(locs);
  expect(sems).toHaveLength(10);
  for (const s of sems) expect(readSemaphore(pid, s.address)).toBe(0);

  // Operands are what is checked here: returns without their durations (test/e2e/durations.test.ts has those).
  trace = await attach(pid, { events, durations: false });
  const got: TraceEvent[] = [];
  trace.on('event', (e: TraceEvent) => got.push(e));
  // Raised by one for each traced location that uses it, and only those.
  for (const s of sems) {
    const traced = s.users.filter((u) => events.some((e) => MARKER_OF[e] === u.name));
    expect([s.users[0].path, s.users[0].name, readSemaphore(pid, s.address)]).toEqual([
      s.users[0].path,
      s.users[0].name,
      traced.length,
    ]);
  }

  await fx.fire();
  await trace.detach();
  for (const s of sems) expect(readSemaphore(pid, s.address)).toBe(0);
  expect(trace.stats().lost).toBe(0);

  for (const e of got) expect([e.pid, e.tid]).toEqual([pid, pid]);
  for (let k = 1; k < got.length; k++) expect(got[k].ts >= got[k - 1].ts).toBe(true);
  const fields = got.map(({ pid: _p, tid: _t, ts: _ts, ...rest }) => rest);
  expect(fields).toEqual(expectedEvents(reps, events));

  // The hand-written sites are where the table says, with the operand text it says.
  for (const s of SITES.filter((s) => s.args !== null)) {
    const at = locs.filter((l) => l.path === objPath[s.obj] && l.name === s.marker && l.argsText === s.args);
    expect([s.marker, s.args, at.length]).toEqual([s.marker, s.args, 1]);
  }
  expect(locs.filter((l) => l.provider === 'python')).toHaveLength(SITES.length);
}

test('every operand form yields its exact values, in the executable and the shared library', async () => {
  await traceFixture(ALL_EVENTS, 3);
});

test('one event: only its locations fire and only its semaphores go up', async () => {
  await traceFixture(['gc-start'], 2);
});

test('strings only through the frame markers, over many firings', async () => {
  await traceFixture(['function-entry', 'function-return', 'line'], 200);
});

const NOP = 0x90;
const INT3 = 0xcc;

test('detach restores every site and lowers every semaphore; attaching again works', async () => {
  fx = await startFixture(1);
  const pid = fx.pid;
  const locs = probes(pid);
  const sems = semaphores(locs);
  expect(siteBytes(pid, locs)).toEqual(locs.map(() => NOP));
  for (let round = 0; round < 2; round++) {
    trace = await attach(pid, { events: ALL_EVENTS, durations: false });
    const got: TraceEvent[] = [];
    trace.on('event', (e: TraceEvent) => got.push(e));
    expect(siteBytes(pid, locs)).toEqual(locs.map(() => INT3));
    await fx.fire();
    await trace.detach();
    expect(siteBytes(pid, locs)).toEqual(locs.map(() => NOP));
    expect(sems.map((s) => readSemaphore(pid, s.address))).toEqual(sems.map(() => 0));
    expect(got.map(({ pid: _p, tid: _t, ts: _ts, ...rest }) => rest)).toEqual(expectedEvents(1, ALL_EVENTS));
  }
});

/**
 * Strings the process has not touched lately: their pages are in the page
 * cache but not in its page tables (reclaim does this; sdt_lib_cool() does it
 * on purpose). Reading them at the probe must fault them in; a read that may
 * not fault gets nothing, and the event would carry "" instead of the name.
 */
test('strings on pages missing from the page tables are still fetched', async () => {
  fx = await startFixture(1);
  trace = await attach(fx.pid, { events: ['function-entry', 'import-find-load-start', 'audit'] });
  const got: TraceEvent[] = [];
  trace.on('event', (e: TraceEvent) => got.push(e));
  await fx.fire(1, true);
  await trace.detach();
  // The library's strings last, after the executable's (which stay resident).
  expect(got.map(({ pid: _p, tid: _t, ts: _ts, ...rest }) => rest)).toEqual(
    expectedEvents(1, ['function-entry', 'import-find-load-start', 'audit']),
  );
});
