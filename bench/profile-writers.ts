/**
 * The profile writers' rates: a profile of many distinct stacks (as a long
 * sampled run of a large program gives) written to a file in the temporary
 * directory, timed from the first piece to the file closed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { writeProfile } from '../lib/profile/formats';
import { StackFrame, StackProfile } from '../lib/profile/stacks';
import { median, spread } from './stats';

export interface WriterRow {
  format: string;
  lines: number;
  bytes: number;
  median: number;
  spread: number;
}

/** `stacks` distinct stacks, 4 to 2 x meanDepth - 4 frames deep (and the leaf), over 5000 functions in 200 files. */
/** Python stacks of a web service or a test suite are some ten to twenty frames deep. */
export const WRITER_MEAN_DEPTH = 12;

export function syntheticProfile(stacks: number, meanDepth = WRITER_MEAN_DEPTH): StackProfile {
  const depthSpread = 2 * (meanDepth - 4) + 1;
  const p = new StackProfile({ type: 'samples', unit: 'count' }, 10_000_000);
  const fn = (i: number): StackFrame => ({
    function: `handler_${i}`,
    filename: `/srv/app/pkg${i % 200}/module_${i % 37}.py`,
    lineno: 10 + (i % 400),
  });
  const pool = Array.from({ length: 5000 }, (_, i) => fn(i));
  const threads = [1, 2, 3, 4].map((i) => ({ pid: 1000, tid: 1000 + i, name: i === 1 ? 'MainThread' : `worker-${i}` }));
  let seed = 1;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  for (let s = 0; s < stacks; s++) {
    const depth = 4 + rand(depthSpread);
    const frames = [pool[0], pool[1 + (s % 50)]];
    while (frames.length < depth) frames.push(pool[rand(pool.length)]);
    frames.push(pool[s % pool.length]);
    p.add(threads[s % threads.length], frames, 1 + rand(50));
  }
  return p;
}

export async function writerSection(
  stacks: number,
  runs: number,
  formats: string[] = ['collapsed'],
): Promise<WriterRow[]> {
  const profile = syntheticProfile(stacks);
  const lines = profile.threads().reduce((n, t) => n + t.stacks.length, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-bench-'));
  try {
    const rows: WriterRow[] = [];
    // One format at a time: they would share the core otherwise.
    for (const format of formats) {
      const rates: number[] = [];
      const file = path.join(dir, `out.${format}`);
      for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint();
        await writeProfile(profile, { format, path: file, threads: true });
        rates.push(lines / (Number(process.hrtime.bigint() - t0) / 1e9));
      }
      rows.push({ format, lines, bytes: fs.statSync(file).size, median: median(rates), spread: spread(rates) });
    }
    // The file system's share: as many bytes as the first format wrote, ready-made, the same way to a file.
    const bytes = rows[0].bytes;
    const piece = Buffer.alloc(1 << 20, 0x61);
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      await pipeline(
        Readable.from(
          (function* () {
            for (let left = bytes; left > 0; left -= piece.length)
              yield left >= piece.length ? piece : piece.subarray(0, left);
          })(),
        ),
        fs.createWriteStream(path.join(dir, 'ceiling')),
      );
      rates.push(lines / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
    rows.push({ format: 'same bytes, ready-made', lines, bytes, median: median(rates), spread: spread(rates) });
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
