/** Reads a traced process's memory, as the kernel sees it now (semaphores, patched sites). */
import * as fs from 'fs';
import type { ProbeLocation } from '../../lib';

/** `length` bytes at `address` in `pid`; throws on a short read. */
export function readTarget(pid: number, address: bigint, length: number): Buffer {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const b = Buffer.alloc(length);
    const n = fs.readSync(fd, b, 0, length, address);
    if (n !== length) throw new Error(`short read of ${n}/${length} bytes at 0x${address.toString(16)} in ${pid}`);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** A USDT semaphore: an unsigned 16-bit counter. */
export function readSemaphore(pid: number, address: bigint): number {
  return readTarget(pid, address, 2).readUInt16LE(0);
}

/** The byte at each location, in the process's memory: the nop, or the uprobe's int3. */
export function siteBytes(pid: number, locs: ProbeLocation[]): number[] {
  const maps = fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/))
    .map(([range, , off, , , path]) => ({
      start: BigInt('0x' + range.split('-')[0]),
      end: BigInt('0x' + range.split('-')[1]),
      off: BigInt('0x' + off),
      path,
    }));
  return locs.map((l) => {
    const m = maps.find((m) => m.path === l.path && l.offset >= m.off && l.offset < m.off + (m.end - m.start))!;
    return readTarget(pid, m.start + (l.offset - m.off), 1)[0];
  });
}
