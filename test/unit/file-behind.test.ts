/**
 * FileBehind: chunks written by a thread of its own, in order, through a ring
 * smaller than what is written (the JS thread waits for room); a chunk larger
 * than a slot; the first failure kept and reported, nothing written after it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileBehind } from '../../lib/cli/file-behind';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-behind-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every chunk lands, in order, the ring many times over; one larger than a slot too', async () => {
  const file = path.join(dir, 'out.txt');
  const fd = fs.openSync(file, 'w');
  expect(FileBehind.suits(fd)).toBe(true);
  const behind = new FileBehind(fd);
  const chunks: string[] = [];
  for (let i = 0; i < 300; i++) chunks.push(`chunk ${i} ${'é\u2028x'.repeat(10_000 + i)}\n`);
  chunks.splice(150, 0, `${'y'.repeat(3 << 20)}\n`);
  for (const c of chunks) behind.write(c);
  await behind.done();
  fs.closeSync(fd);
  expect(behind.failed).toBeNull();
  const text = fs.readFileSync(file, 'utf8');
  expect(text.length).toBe(chunks.reduce((n, c) => n + c.length, 0));
  expect(text === chunks.join('')).toBe(true);
});

test('a device that takes nothing (/dev/full): the first error, and nothing after it', async () => {
  const fd = fs.openSync('/dev/full', 'w');
  expect(FileBehind.suits(fd)).toBe(false);
  const behind = new FileBehind(fd);
  behind.write('a line\n');
  await expect(behind.done()).rejects.toThrow('ENOSPC: no space left on device');
  expect(behind.failed?.message).toMatch(/^ENOSPC/);
  behind.write('more\n'); // ignored: no second writer, no wait
  await expect(behind.done()).rejects.toThrow('ENOSPC');
  fs.closeSync(fd);
});

test('never written, never started: done() at once, and no thread keeps the process', async () => {
  const fd = fs.openSync(path.join(dir, 'empty.txt'), 'w');
  const behind = new FileBehind(fd);
  await behind.done();
  fs.closeSync(fd);
  expect(fs.statSync(path.join(dir, 'empty.txt')).size).toBe(0);
});
