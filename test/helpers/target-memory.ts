/** Reads a traced process's memory, as the kernel sees it now (semaphores, patched sites). */
import * as fs from 'fs';

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
