/**
 * The rows of `pytrace top`: the HOWTO's columns, printf("%6s %80s %6s %30s
 * %6s\n", PID, FILENAME, LINE, FUNCTION, CALLS), narrowed to fit the
 * terminal, long names elided in the middle so a path keeps its file's name.
 */
import type { CallCount } from '../index';
import { CUT_MARK, printable, wasCut } from './escape';

/** The HOWTO's widths: they are the widest the name columns get. */
const FILE_MAX = 80;
const FUNCTION_MAX = 30;
/** Name columns never get narrower than this, whatever the terminal. */
const NAME_MIN = 8;
const NUMBER = 6;

/** Columns to fit: $COLUMNS when set, the terminal's width, else 80. */
export function outputWidth(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (isTTY && process.stdout.columns > 0) return process.stdout.columns;
  return 80;
}

/**
 * `s` in at most `width` characters: "/usr/lib/pyt…packages/mod/file.py". The
 * tail keeps a path's last component whole when it fits, and at least half.
 */
export function elideMiddle(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return CUT_MARK.slice(0, width);
  const budget = width - 1;
  // A path keeps its last component; other names (functions) half of each end.
  const base = s.includes('/') ? [...s.slice(s.lastIndexOf('/') + 1)].length : 0;
  const tail = Math.min(budget, Math.max(base, Math.ceil(budget / 2)));
  return chars.slice(0, budget - tail).join('') + CUT_MARK + chars.slice(chars.length - tail).join('');
}

export interface Widths {
  file: number;
  function: number;
  calls: number;
}

/** How wide each column is on a terminal of `width` columns, for these rows. */
export function widthsFor(rows: CallCount[], width: number): Widths {
  const calls = Math.max(NUMBER, ...rows.map((r) => String(r.count).length));
  // Four separating spaces, PID and LINE: what is left goes to the names, the file first.
  const names = width - 4 - 2 * NUMBER - calls;
  const fn = Math.max(NAME_MIN, Math.min(FUNCTION_MAX, Math.floor(names * 0.4)));
  const file = Math.max(NAME_MIN, Math.min(FILE_MAX, names - fn));
  return { file, function: Math.max(fn, Math.min(FUNCTION_MAX, names - file)), calls };
}

function cell(text: string, width: number): string {
  return elideMiddle(text, width).padStart(width);
}

export function header(w: Widths): string {
  return `${'PID'.padStart(NUMBER)} ${cell('FILENAME', w.file)} ${'LINE'.padStart(NUMBER)} ${cell('FUNCTION', w.function)} ${'CALLS'.padStart(w.calls)}`;
}

export function row(c: CallCount, w: Widths): string {
  const file = printable(c.filename, wasCut(c, 'filename'));
  const fn = printable(c.function, wasCut(c, 'function'));
  return `${String(c.pid).padStart(NUMBER)} ${cell(file, w.file)} ${String(c.lineno).padStart(NUMBER)} ${cell(fn, w.function)} ${String(c.count).padStart(w.calls)}`;
}

/** The line under the rows: this interval's calls, per second, and the count since the start. */
export function totals(calls: number, functions: number, intervalS: number, sinceStart: number): string {
  const perSecond = Math.round(calls / intervalS);
  return `total: ${calls} call${calls === 1 ? '' : 's'} in ${functions} function${functions === 1 ? '' : 's'} this interval (${perSecond}/s), ${sinceStart} since the start`;
}
