/**
 * What pytrace record writes, in both modes: a profile format of
 * lib/profile/formats.ts (sampled stacks, or with --exact each call's self
 * time per stack), or with --exact the Trace Event timeline; chosen by
 * --format or by the output file's name.
 */
import * as tty from 'tty';
import { PytraceError } from '../errors';
import {
  formatForPath,
  parseProfileFormat,
  PROFILE_FORMATS,
  ProfileFormat,
  profileChunks,
  writeProfile,
} from '../profile/formats';
import { StackProfile } from '../profile/stacks';
import { CliError, UsageError } from './args';
import { writeAll } from './output';

export type RecordFormat = ProfileFormat | 'trace-json';
export const RECORD_FORMATS: readonly RecordFormat[] = [...PROFILE_FORMATS, 'trace-json'];

/** The --format option as both modes' help shows it, its text starting at `column`. */
export function formatHelp(column: number): string {
  const lines = [
    'collapsed (default), speedscope, pprof, html; with --exact',
    'also trace-json (its default). Without --format, the',
    'name of the -o file tells: .collapsed .folded .txt,',
    '.speedscope.json, .pb.gz .pprof, .html, .trace.json; a',
    'plain .json is speedscope, with --exact trace-json',
  ];
  return lines.map((l, i) => (i ? ' '.repeat(column) : '  --format F'.padEnd(column)) + l).join('\n');
}

/**
 * The format to write: --format when given, else the one the output file's
 * name tells, else the mode's own (collapsed stacks; the timeline for --exact).
 */
export function recordFormat(exact: boolean, format: string | undefined, output: string | undefined): RecordFormat {
  if (format !== undefined) {
    if (format === 'trace-json') {
      if (!exact) throw new UsageError('--format trace-json is a timeline of every call: it needs --exact', 'record');
      return format;
    }
    try {
      return parseProfileFormat(format);
    } catch {
      throw new UsageError(`unknown --format "${format}"; formats: ${RECORD_FORMATS.join(', ')}`, 'record');
    }
  }
  if (output !== undefined) {
    const lower = output.toLowerCase();
    if (lower.endsWith('.trace.json')) {
      if (!exact) throw new UsageError(`${output} names a timeline (.trace.json): that needs --exact`, 'record');
      return 'trace-json';
    }
    if (exact && lower.endsWith('.json') && !lower.endsWith('.speedscope.json')) return 'trace-json';
    try {
      return formatForPath(output);
    } catch (e) {
      if (!(e instanceof PytraceError)) throw e;
    }
  }
  return exact ? 'trace-json' : 'collapsed';
}

/**
 * Writes `profile` in `format` to `output`, or to stdout: through
 * writeProfile() for a file, its pieces written as they come for stdout
 * (never opened as a stream: see writeAll). pprof is gzipped protobuf, not
 * for a terminal.
 */
export async function writeRecordedProfile(
  profile: StackProfile,
  format: ProfileFormat,
  output: string | undefined,
): Promise<void> {
  if (output !== undefined) {
    try {
      await writeProfile(profile, { format, path: output });
    } catch (e) {
      throw e instanceof PytraceError ? e : new CliError(`cannot write ${output}: ${(e as Error).message}`);
    }
    return;
  }
  if (format === 'pprof' && tty.isatty(1))
    throw new UsageError('pprof is binary (gzipped protobuf): give -o FILE, or redirect stdout', 'record');
  for (const piece of profileChunks(profile, format))
    if (!writeAll(1, typeof piece === 'string' ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)))
      return; // the reader went away (| head)
}
