/**
 * Strings of the traced process: UTF-8 bytes the kernel copied (whole up to
 * PT_NAME_MAX bytes, or the first PT_NAME_MAX of a longer one), and strings
 * read from the process's memory where the kernel could not read them.
 */
import * as fs from 'fs';
import { layout } from '../native';

/** Longest name kept whole, in bytes (PT_NAME_MAX). */
export const NAME_MAX = layout.limits.PT_NAME_MAX;

/**
 * Where `buf[start, end)`, the first bytes of a longer UTF-8 string, must end
 * so as not to split a character: before a sequence the cut left incomplete.
 */
export function characterBoundary(buf: Uint8Array, start: number, end: number): number {
  let lead = end - 1;
  // At most 3 continuation bytes (10xxxxxx) follow a lead byte.
  while (lead >= start && lead > end - 4 && (buf[lead] & 0xc0) === 0x80) lead--;
  if (lead < start) return end;
  const b = buf[lead];
  const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + length > end ? lead : end;
}

/** The text of a copied name; a cut one ends on a character boundary. */
export function nameText(buf: Buffer, start: number, end: number, truncated: boolean): string {
  return buf.toString('utf8', start, truncated ? characterBoundary(buf, start, end) : end);
}

export interface TargetString {
  text: string;
  truncated: boolean;
}

/**
 * A NUL-terminated string at `address` in process `pid`, read from
 * /proc/PID/mem, at most NAME_MAX bytes (then cut on a character boundary).
 * Null when it cannot be read (the process is gone).
 */
export function readTargetString(pid: number, address: number): TargetString | null {
  try {
    const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
    try {
      // One byte past NAME_MAX tells a cut from a string of exactly NAME_MAX bytes.
      const buf = Buffer.alloc(NAME_MAX + 1);
      let n = 0;
      // A page may end inside the string: read page by page up to the NUL.
      while (n < buf.length) {
        const chunk = Math.min(buf.length - n, 4096 - ((address + n) % 4096));
        let got: number;
        try {
          got = fs.readSync(fd, buf, n, chunk, address + n);
        } catch {
          break; // an unmapped page ends what can be read
        }
        const nul = buf.indexOf(0, n);
        if (nul >= 0 && nul < n + got) return { text: buf.toString('utf8', 0, nul), truncated: false };
        if (got < chunk) break;
        n += got;
      }
      if (n === 0) return null;
      // No NUL within NAME_MAX bytes, or before an unmapped page: a cut string.
      return { text: nameText(buf, 0, Math.min(n, NAME_MAX), true), truncated: true };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}
