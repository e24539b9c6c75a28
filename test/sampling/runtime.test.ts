/**
 * findRuntime() reads the interpreter the process has mapped, not whatever is
 * at its path now: an upgrade that replaces a running Python's files must
 * not change the answer.
 */
import * as fs from 'fs';
import { findRuntime } from '../../lib/sampling/runtime';
import { killStarted, privatePython, startChild } from '../helpers/python';

afterEach(killStarted);

test('the executable replaced on disk under a running interpreter', async () => {
  const python = privatePython();
  const child = startChild(python, ['-c', 'import time; print("ready", flush=True); time.sleep(60)']);
  await child.line((l) => l === 'ready');
  const before = findRuntime(child.pid);
  // As a package upgrade does: a new file renamed over the path (here not even a Python).
  fs.copyFileSync('/bin/sleep', python + '.new');
  fs.renameSync(python + '.new', python);
  const after = findRuntime(child.pid);
  expect(after.version.text).toBe(before.version.text);
  expect(after.runtimeAddress).toBe(before.runtimeAddress);
  expect(after.object).toBe(python);
});
