/**
 * What the README says of CPython 3.11: while its frame markers are enabled
 * (the line semaphore raised, by pytrace or by any tracer), code whose file
 * name is not valid UTF-8 fails with SystemError in the interpreter itself.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PYTHON, pytraceDone, script } from './helpers';

const RAN = 'ran\n';

/** The trace goes to a file: on a shared stdout, an unbuffered target's line and its newline are two writes. */
const traceFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-filenames-')), 'trace.txt');

test('untraced, or with only gc traced: the code runs', async () => {
  expect(spawnSync(PYTHON, [script('bad_filename.py')], { encoding: 'utf8' }).stdout).toBe(RAN);
  const out = traceFile();
  const gc = await pytraceDone('run', '--mode', 'gc', '-o', out, '--', PYTHON, script('bad_filename.py'));
  fs.rmSync(path.dirname(out), { recursive: true });
  expect(gc.code).toBe(0);
  expect(gc.stdout.split('\n')).toContain('ran');
});

test('with calls traced: CPython raises SystemError (UnicodeEncodeError inside) before the code runs', async () => {
  const out = traceFile();
  const calls = await pytraceDone('run', '--mode', 'calls', '-o', out, '--', PYTHON, script('bad_filename.py'));
  fs.rmSync(path.dirname(out), { recursive: true });
  expect(calls.code).toBe(0);
  const outcome = calls.stdout.split('\n').filter((l) => /^(ran|SystemError)/.test(l));
  expect(outcome).toEqual([
    "SystemError: <built-in function exec> returned a result with an exception set; first cause: UnicodeEncodeError: 'utf-8' codec can't encode character '\\udcff' in position 8: surrogates not allowed",
  ]);
});
