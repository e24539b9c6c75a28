/**
 * The smoke suite a guest on another kernel runs (scripts/kernel-test.sh):
 * the installed package through its public API, on python3.11. Attach, exact
 * counts of calls, collections, imports and audit events, detach with every
 * semaphore back at 0, then a sampled profile of a busy function (where the
 * kernel has bpf_loop, 5.17; before, profile() must refuse by name) and a
 * thread dump (6.1: task iterators of one process; before, refused). Prints
 * one line per check and `smoke: N failure(s)`; exits 1 on any failure.
 *   node smoke.js [PYTHON] [LINK_KIND]
 * LINK_KIND: the kind of uprobe link this kernel must get (uprobe_multi from
 * 6.6, uprobe before).
 */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { attach, dump, probes, profile } = require('pytrace');

const python = process.argv[2] || '/usr/bin/python3.11';
const linkKind = process.argv[3];
const CALLS = 50;
const COLLECTIONS = 3;
const AUDITS = 5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-smoke-'));
const target = path.join(dir, 'target.py');
fs.writeFileSync(path.join(dir, 'smokemod.py'), 'VALUE = 1\n');
// Automatic collections off, so that every gc-start is one of ours; waits on
// stdin until traced, then once more until detached.
fs.writeFileSync(
  target,
  `import gc, sys
gc.disable()
sys.path.insert(0, ${JSON.stringify(dir)})
def tick(): pass
print('ready', flush=True)
sys.stdin.readline()
for _ in range(${CALLS}): tick()
for _ in range(${COLLECTIONS}): gc.collect()
import smokemod
for i in range(${AUDITS}): sys.audit('smoke.tick', i)
print('done', flush=True)
sys.stdin.readline()
def spin():
    # Calls nothing for tens of ms at a time: a thread dump reads a running
    # thread, and one caught mid-call is read again until it holds still.
    while not os.path.exists(${JSON.stringify(path.join(dir, 'stop'))}):
        for _ in range(1000000): pass
import os
print('spinning', flush=True)
spin()
sys.stdin.readline()
`,
);

let failures = 0;
function check(what, ok, detail) {
  if (!ok) failures++;
  console.log(`${ok ? 'pass' : 'FAIL'}: ${what}${detail === undefined ? '' : ` (${detail})`}`);
}

function semaphores(pid) {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const out = {};
    for (const loc of probes(pid)) {
      if (loc.provider !== 'python' || loc.semaphoreAddress === undefined) continue;
      const b = Buffer.alloc(2);
      fs.readSync(fd, b, 0, 2, loc.semaphoreAddress);
      out[loc.name] = b.readUInt16LE(0);
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

function line(stream, want) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      if (buf.split('\n').includes(want)) {
        stream.off('data', onData);
        resolve();
      }
    };
    stream.on('data', onData);
    stream.on('end', () => reject(new Error(`the target ended before printing ${want}`)));
  });
}

let py;

async function main() {
  console.log(`kernel ${os.release()}, ${python}`);
  py = spawn(python, [target], { stdio: ['pipe', 'pipe', 'inherit'] });
  py.on('error', (e) => check('the target started', false, e.message));
  py.stdout.setEncoding('utf8');
  await line(py.stdout, 'ready');
  const before = semaphores(py.pid);
  const zero = (s) => Object.keys(s).length > 0 && Object.values(s).every((v) => v === 0);
  check('semaphores at 0 before attach', zero(before), JSON.stringify(before));

  const events = ['function-entry', 'gc-start', 'import-find-load-start', 'audit'];
  const trace = await attach(py.pid, { events });
  const seen = { calls: 0, collections: 0, imports: 0, audits: 0 };
  trace.on('function-entry', (e) => e.filename === target && e.function === 'tick' && seen.calls++);
  trace.on('gc-start', () => seen.collections++);
  trace.on('import-find-load-start', (e) => e.module === 'smokemod' && seen.imports++);
  trace.on('audit', (e) => e.event === 'smoke.tick' && seen.audits++);
  const raised = semaphores(py.pid);
  check(
    'semaphores raised for what is traced',
    raised.function__entry === 1 &&
      raised.gc__start === 1 &&
      raised.import__find__load__start === 1 &&
      raised.audit === 1,
    JSON.stringify(raised),
  );

  py.stdin.write('\n');
  await line(py.stdout, 'done');
  await trace.detach();
  const stats = trace.stats();
  console.log(`stats: ${JSON.stringify(stats)}`);
  if (linkKind) check(`${linkKind} links`, stats.linkKind === linkKind, stats.linkKind);
  check(`${CALLS} calls`, seen.calls === CALLS, seen.calls);
  check(`${COLLECTIONS} collections`, seen.collections === COLLECTIONS, seen.collections);
  check('1 import of smokemod', seen.imports === 1, seen.imports);
  check(`${AUDITS} audit events`, seen.audits === AUDITS, seen.audits);
  check('nothing lost', stats.lost === 0, stats.lost);
  const after = semaphores(py.pid);
  check('semaphores at 0 after detach', zero(after), JSON.stringify(after));

  py.stdin.write('\n');
  await line(py.stdout, 'spinning');
  await sampledProfile(py.pid);
  await threadDump(py.pid);
  fs.writeFileSync(path.join(dir, 'stop'), '');
  py.stdin.end('\n');
  await new Promise((resolve) => py.on('exit', resolve));
}

// bpf_loop (5.17) walks the frames: a kernel without it gets a refusal naming it.
const [major, minor] = os.release().split('.').map(Number);
const kernelHasLoop = major > 5 || (major === 5 && minor >= 17);
// The dump reads threads' memory with bpf_copy_from_user_task (5.18), one process's tasks (6.1).
const kernelHasDump = major > 6 || (major === 6 && minor >= 1);

async function threadDump(pid) {
  let threads;
  try {
    threads = await dump(pid);
  } catch (e) {
    const named = e.code === 'PYTRACE_KERNEL_UNSUPPORTED' && /bpf_copy_from_user_task \(Linux 5\.18\)/.test(e.message);
    check(
      kernelHasDump ? 'a thread dump' : 'dump() refused: no bpf_copy_from_user_task',
      !kernelHasDump && named,
      e.message,
    );
    return;
  }
  const main = threads.find((t) => t.tid === pid);
  const stack = main ? main.frames.map((f) => f.function) : [];
  check(
    kernelHasDump ? 'a thread dump: the main thread in spin()' : 'dump() refused',
    kernelHasDump && stack.includes('spin'),
    stack.join(' < '),
  );
}

async function sampledProfile(pid) {
  let p;
  try {
    p = await profile(pid, { hz: 49 });
  } catch (e) {
    const named = e.code === 'PYTRACE_KERNEL_UNSUPPORTED' && /bpf_loop \(Linux 5\.17\)/.test(e.message);
    check(kernelHasLoop ? 'a sampled profile' : 'profile() refused: no bpf_loop', !kernelHasLoop && named, e.message);
    return;
  }
  if (!kernelHasLoop) check('profile() refused: no bpf_loop', false, 'it started');
  // Until 5 samples in spin() (a few seconds at most, however slow the guest).
  let inSpin = 0;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 60000);
    p.on('sample', (s) => {
      if (s.frames.some((f) => f.function === 'spin') && ++inSpin === 5) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await p.close();
  check('a sampled profile: samples in spin()', inSpin >= 5, `${inSpin}; ${JSON.stringify(p.stats())}`);
}

main()
  .catch((e) => check('the suite ran', false, e.stack || String(e)))
  .finally(() => {
    // A failed check leaves the target waiting on stdin: end it, so that node exits.
    if (py && py.exitCode === null) py.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`smoke: ${failures} failure(s)`);
    process.exitCode = failures ? 1 : 0;
  });
