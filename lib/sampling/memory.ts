/**
 * Reads another process's memory through /proc/PID/mem (the symbolizer, and
 * layout discovery; the BPF walker reads in the kernel instead). Everything
 * read is the target's to choose: callers check what they get.
 */
import * as fs from 'fs';
import { PytraceError } from '../errors';

export class TargetMemory {
  private fd: number;

  constructor(readonly pid: number) {
    try {
      this.fd = fs.openSync(`/proc/${pid}/mem`, 'r');
    } catch (e) {
      throw openError(pid, e as NodeJS.ErrnoException);
    }
  }

  /** `length` bytes at `address`; a PYTRACE_BAD_MEMORY error if any is unmapped. */
  read(address: bigint, length: number): Buffer {
    const b = Buffer.alloc(length);
    let n = 0;
    if (address > 0n && address + BigInt(length) < 1n << 64n)
      try {
        n = fs.readSync(this.fd, b, 0, length, address);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EIO' && code !== 'EFAULT' && code !== 'ESRCH') throw e;
      }
    // A process that exited reads as nothing at all, wherever: say that, not "unmapped".
    if (n !== length && !this.alive())
      throw new PytraceError('PYTRACE_NO_PROCESS', `Process ${this.pid} exited while its memory was being read.`);
    if (n !== length)
      throw new PytraceError(
        'PYTRACE_BAD_MEMORY',
        `Cannot read ${length} bytes at 0x${address.toString(16)} in process ${this.pid}: not mapped ` +
          '(the object moved or was freed while being read, or the layout does not match this build).',
      );
    return b;
  }

  u64(address: bigint): bigint {
    return this.read(address, 8).readBigUInt64LE(0);
  }

  i64(address: bigint): bigint {
    return this.read(address, 8).readBigInt64LE(0);
  }

  i32(address: bigint): number {
    return this.read(address, 4).readInt32LE(0);
  }

  /** Running (not gone, not a zombie whose memory is already released). */
  private alive(): boolean {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      return !'ZX'.includes(stat[stat.lastIndexOf(')') + 2]);
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function openError(pid: number, e: NodeJS.ErrnoException): Error {
  if (e.code === 'ENOENT' || e.code === 'ESRCH')
    return new PytraceError('PYTRACE_NO_PROCESS', `No process has PID ${pid}: check the PID (ps -e | grep python).`);
  if (e.code === 'EACCES' || e.code === 'EPERM')
    return new PytraceError(
      'PYTRACE_PERMISSION',
      `Cannot read the memory of process ${pid}: permission denied. Run as root, or with CAP_SYS_PTRACE.`,
    );
  return e;
}
