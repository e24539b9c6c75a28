/**
 * Every refusal of runtime discovery and symbolization, provoked for real:
 * builds whose layout is unknown (named, with their version), processes that
 * are not Python, objects that are not what a frame claims, a target that
 * exits under the reader.
 */
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import { PytraceError } from '../../lib/errors';
import { DEBUG_OFFSETS_BYTES, parseDebugOffsets } from '../../lib/sampling/debug-offsets';
import { TargetMemory } from '../../lib/sampling/memory';
import { findRuntime } from '../../lib/sampling/runtime';
import { readString } from '../../lib/sampling/strings';
import { Symbolizer } from '../../lib/sampling/symbols';
import { Child, killStarted, PYTHON, startChild, until } from '../helpers/python';
import { pyenvPython } from './interpreters';

afterEach(killStarted);

/** A process that has started and sits in a sleep. */
async function sleeper(command: string, args: string[]): Promise<Child> {
  const child = startChild(command, args);
  await child.line((l) => l === 'ready');
  return child;
}

const SLEEP = ['-c', 'import time; print("ready", flush=True); time.sleep(60)'];

function thrown(f: () => unknown): PytraceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PytraceError);
    return e as PytraceError;
  }
  throw new Error('did not throw');
}

const py38 = pyenvPython('3.8')?.python;
(py38 ? test : test.skip)(
  `a CPython older than 3.9 is refused, named with its version${py38 ? '' : ' (skipped: no pyenv 3.8)'}`,
  async () => {
    const child = await sleeper(py38!, SLEEP);
    const version = execFileSync(py38!, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
      encoding: 'utf8',
    }).trim();
    const e = thrown(() => findRuntime(child.pid));
    expect(e.code).toBe('PYTRACE_UNKNOWN_LAYOUT');
    expect(e.message).toContain(`CPython ${version}`);
    expect(e.message).toContain('3.9, 3.10, 3.11, 3.12, 3.13, 3.14, 3.15');
  },
);

test('a process that is not Python, and no process', async () => {
  const child = startChild('sleep', ['60']);
  await until(() => fs.readlinkSync(`/proc/${child.pid}/exe`).endsWith('/sleep'), 5000);
  expect(thrown(() => findRuntime(child.pid)).code).toBe('PYTRACE_NOT_PYTHON');
  child.kill();
  await child.exited;
  expect(thrown(() => findRuntime(child.pid)).code).toBe('PYTRACE_NO_PROCESS');
});

test('debug offsets of an unknown version, or without the cookie, are refused', async () => {
  const e = thrown(() => parseDebugOffsets(16, Buffer.alloc(DEBUG_OFFSETS_BYTES)));
  expect(e.code).toBe('PYTRACE_UNKNOWN_LAYOUT');
  expect(e.message).toContain('3.16');
  // 3.11's _PyRuntime has no debug offsets: read as 3.13's, its first bytes are no cookie.
  const child = await sleeper(PYTHON, SLEEP);
  const runtime = findRuntime(child.pid);
  const memory = new TargetMemory(child.pid);
  try {
    const bytes = memory.read(runtime.runtimeAddress, DEBUG_OFFSETS_BYTES);
    expect(thrown(() => parseDebugOffsets(13, bytes)).code).toBe('PYTRACE_UNKNOWN_LAYOUT');
  } finally {
    memory.close();
  }
});

test('an address that is not a code object, not a str, or not mapped', async () => {
  const child = await sleeper(PYTHON, SLEEP);
  const runtime = findRuntime(child.pid);
  const symbolizer = new Symbolizer(runtime);
  const memory = new TargetMemory(child.pid);
  try {
    // The str type object itself: mapped, but neither a code object nor a str.
    const notCode = thrown(() => symbolizer.frame(runtime.unicodeType, 0));
    expect(notCode.code).toBe('PYTRACE_BAD_MEMORY');
    expect(notCode.message).toContain('not a code object');
    expect(thrown(() => readString(memory, runtime.layout, runtime.unicodeType, runtime.codeType)).code).toBe(
      'PYTRACE_BAD_MEMORY',
    );
    expect(thrown(() => symbolizer.frame(0x10n, 0)).code).toBe('PYTRACE_BAD_MEMORY');
    // Nothing is cached from a refusal.
    expect(symbolizer.cache.size).toBe(0);

    child.kill();
    await child.exited;
    const gone = thrown(() => symbolizer.frame(runtime.runtimeAddress, 0));
    expect(gone.code).toBe('PYTRACE_NO_PROCESS');
  } finally {
    symbolizer.close();
    memory.close();
  }
});
