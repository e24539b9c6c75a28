/** The addon's ELF reader, its failures as PytraceErrors. */
import { ErrorCode, PytraceError } from '../errors';
import { RawElf, readElf } from '../native';

/** readElf(), throwing only PytraceErrors: PYTRACE_PERMISSION for EACCES/EPERM, else PYTRACE_BAD_ELF. */
export function readElfFile(path: string, symbols?: string[]): RawElf {
  try {
    return readElf(path, symbols);
  } catch (e) {
    const err = e as { code?: string; message?: string; errno?: number };
    const code = (err.code === 'PYTRACE_PERMISSION' ? err.code : 'PYTRACE_BAD_ELF') as ErrorCode;
    throw new PytraceError(code, `${err.message ?? String(e)}.`, err.errno);
  }
}

/** A mapped file that is not an ELF (a data file or a device mapped executable) has no markers, rather than a fault. */
export function isNotElf(e: unknown): boolean {
  return e instanceof PytraceError && /: not (an ELF|a regular) file\.$/.test(e.message);
}
