/** Every failure pytrace reports carries one of these stable codes. */
export type ErrorCode =
  | 'PYTRACE_NO_PROCESS'
  | 'PYTRACE_NOT_PYTHON'
  | 'PYTRACE_NO_MARKERS'
  | 'PYTRACE_MARKER_UNAVAILABLE'
  | 'PYTRACE_UNKNOWN_EVENT'
  | 'PYTRACE_PERMISSION'
  | 'PYTRACE_KERNEL_UNSUPPORTED'
  | 'PYTRACE_BAD_ELF'
  | 'PYTRACE_BAD_OPERAND'
  | 'PYTRACE_BAD_OPTION'
  | 'PYTRACE_ATTACH_FAILED'
  | 'PYTRACE_CLOSED'
  | 'PYTRACE_UNKNOWN_LAYOUT'
  | 'PYTRACE_BAD_MEMORY'
  | 'PYTRACE_CODE_GONE'
  | 'PYTRACE_WRITE_FAILED';

/** Errors of writing that are no fault of the file chosen (it opened): the disk, the quota, the device. */
const WRITE_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO']);

/**
 * A failure to write `file`: PYTRACE_WRITE_FAILED for a full disk or an I/O
 * error, PYTRACE_PERMISSION or PYTRACE_BAD_OPTION for a file that cannot be
 * made; `what` names what was being written ("the profile").
 */
export function writeError(e: unknown, file: string, what: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' || !err.code.startsWith('E')) return e;
  if (WRITE_FAILURES.has(err.code))
    return new PytraceError(
      'PYTRACE_WRITE_FAILED',
      `Cannot write ${what} to ${file}: ${err.message}. Free space there, or choose a file elsewhere.`,
      err.errno,
    );
  const code = err.code === 'EACCES' || err.code === 'EPERM' ? 'PYTRACE_PERMISSION' : 'PYTRACE_BAD_OPTION';
  return new PytraceError(
    code,
    `Cannot write ${what} to ${file}: ${err.message}. Choose a file in a directory that exists and is writable.`,
    err.errno,
  );
}

export class PytraceError extends Error {
  readonly code: ErrorCode;
  readonly errno?: number;

  constructor(code: ErrorCode, message: string, errno?: number) {
    super(message);
    this.name = 'PytraceError';
    this.code = code;
    if (errno !== undefined) this.errno = errno;
  }
}

/** Native errors carry `code` (and `errno`); give them the public class. */
export function fromNative(e: unknown): PytraceError {
  if (e instanceof PytraceError) return e;
  const err = e as { code?: string; message?: string; errno?: number };
  const code = (err.code && err.code.startsWith('PYTRACE_') ? err.code : 'PYTRACE_ATTACH_FAILED') as ErrorCode;
  return new PytraceError(code, err.message ?? String(e), err.errno);
}

export const WHICH_BUILDS_HAVE_MARKERS =
  'CPython carries markers only when built with --with-dtrace: Debian and Ubuntu python3.X ' +
  '(/usr/bin/python3.X and libpython3.X.so), Fedora and RHEL (libpython). The official python ' +
  'container images, pyenv, conda-forge, uv / python-build-standalone and deadsnakes builds have none.';
