/**
 * A failed attach leaves nothing open: 100 failures of different kinds, at
 * different steps (the BPF program's options, the poll thread's process
 * handle, the uprobes themselves), through both transports; the count of
 * this process's descriptors is the same afterwards.
 */
import * as fs from 'fs';
import { attach, describe as describeProcess } from '../../lib/index';
import { NativeTarget, NativeTrace, NativeTraceOptions } from '../../lib/native';
import { targetsFor } from '../../lib/planning/targets';
import { killStarted, privatePython, startPython } from '../helpers/python';

afterEach(killStarted);

const openFds = () => fs.readdirSync('/proc/self/fd').length;

const nativeOptions = (pid: number, transport: 'ring' | 'perf'): NativeTraceOptions => ({
  pid,
  transport,
  ringBytes: 1 << 16,
  wakeupBytes: 0,
  drainMs: 5,
  minDrainGapUs: 250,
  batchBytes: 4096,
  maxPendingBatches: 1,
  dropWhenBehind: false,
  perfPages: 1,
});

async function failure(run: () => unknown | Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  throw new Error('expected a failure');
}

test('100 failed attaches of different kinds leave no descriptor open', async () => {
  // A private copy of the interpreter: the uprobe conflict below concerns its inode alone.
  const py = await startPython('with_thread.py', [], { python: privatePython() });
  const tid = Number(py.lines[0]);
  const d = describeProcess(py.pid);
  const targets = targetsFor(d, ['function-return']);
  // Another tracer's uprobe on the same location with another semaphore
  // (none): the kernel refuses ours there.
  const blocker = new NativeTrace(nativeOptions(py.pid, 'ring'), () => undefined);
  const conflicting: NativeTarget = { ...targets[0], refCtrOffset: 0 };
  blocker.attach([conflicting]);
  const missing: NativeTarget = { ...targets[0], path: '/nonexistent/python3.11' };

  const kinds: [string, () => unknown | Promise<unknown>][] = [
    // The kernel refuses a location (after the session, the JS channel and the poll thread exist).
    ['conflicting uprobe, ring', () => attach(py.pid, { events: ['function-return'], transport: 'ring' })],
    ['conflicting uprobe, perf', () => attach(py.pid, { events: ['function-return'], transport: 'perf' })],
    // A bad option refused while the BPF program is being set up.
    ['within too long', () => attach(py.pid, { events: ['function-return'], within: 'f'.repeat(300) })],
    // The poll thread's process handle: a thread id is not a process.
    ['thread id, ring', () => new NativeTrace(nativeOptions(tid, 'ring'), () => undefined)],
    ['thread id, perf', () => new NativeTrace(nativeOptions(tid, 'perf'), () => undefined)],
    // A location in a file that does not exist.
    [
      'missing file',
      () => {
        const native = new NativeTrace(nativeOptions(py.pid, 'perf'), () => undefined);
        try {
          native.attach([missing]);
        } finally {
          native.close();
        }
      },
    ],
  ];
  const codes: Record<string, string> = {};
  // Once each first: whatever libbpf or Node open once and keep is open before the count.
  for (const [name, run] of kinds) codes[name] = await failure(run);
  expect(codes).toEqual({
    'conflicting uprobe, ring': 'PYTRACE_ATTACH_FAILED',
    'conflicting uprobe, perf': 'PYTRACE_ATTACH_FAILED',
    'within too long': 'PYTRACE_BAD_OPTION',
    'thread id, ring': 'PYTRACE_NO_PROCESS',
    'thread id, perf': 'PYTRACE_NO_PROCESS',
    'missing file': 'PYTRACE_ATTACH_FAILED',
  });
  const before = openFds();
  for (let i = 0; i < 100; i++) await failure(kinds[i % kinds.length][1]);
  // Descriptors closed by finalizers would not count: nothing here waits for the GC.
  expect({ openFds: openFds() }).toEqual({ openFds: before });
  blocker.close();
}, 120000);
