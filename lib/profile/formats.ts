/**
 * The profile formats by name, chosen explicitly or by the output file's
 * extension, and the one function that writes a StackProfile in any of them
 * to a file or a stream, in pieces (backpressure respected), so memory stays
 * bounded by the distinct stacks, not by the samples or calls.
 */
import * as fs from 'fs';
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import { PytraceError, writeError } from '../errors';
import { collapsedChunks, CollapsedOptions } from './collapsed';
import { htmlChunks } from './html';
import { encodePprof, PprofOptions } from './pprof';
import { speedscopeChunks, SpeedscopeOptions } from './speedscope';
import { StackProfile } from './stacks';

export type ProfileFormat = 'collapsed' | 'speedscope' | 'pprof' | 'html';
export const PROFILE_FORMATS: readonly ProfileFormat[] = ['collapsed', 'speedscope', 'pprof', 'html'];

/** File name endings and their format; the longest ending that matches wins. */
const EXTENSIONS: readonly [string, ProfileFormat][] = [
  ['.speedscope.json', 'speedscope'],
  ['.pb.gz', 'pprof'],
  ['.collapsed', 'collapsed'],
  ['.folded', 'collapsed'],
  ['.pprof', 'pprof'],
  ['.html', 'html'],
  ['.json', 'speedscope'],
  ['.txt', 'collapsed'],
];

const KNOWN_ENDINGS = EXTENSIONS.map(([e]) => e).join(', ');

/** The format a file's name asks for. */
export function formatForPath(file: string): ProfileFormat {
  const lower = file.toLowerCase();
  const hit = EXTENSIONS.find(([ending]) => lower.endsWith(ending));
  if (!hit)
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      `Cannot tell the profile format from the file name "${file}": it should end in one of ${KNOWN_ENDINGS}, or name the format (${PROFILE_FORMATS.join(', ')}).`,
    );
  return hit[1];
}

/** `name` as a format, or a PYTRACE_BAD_OPTION that lists the formats. */
export function parseProfileFormat(name: string): ProfileFormat {
  if ((PROFILE_FORMATS as readonly string[]).includes(name)) return name as ProfileFormat;
  throw new PytraceError(
    'PYTRACE_BAD_OPTION',
    `Unknown profile format "${name}". Formats: ${PROFILE_FORMATS.join(', ')}.`,
  );
}

export interface WriteProfileOptions extends CollapsedOptions, SpeedscopeOptions, PprofOptions {
  /** The format; without it, the one `path`'s extension names. */
  format?: ProfileFormat | string;
  /** Write to this file (created or truncated). */
  path?: string;
  /** Or to this stream (left open for the caller when it is process.stdout or stderr, ended otherwise). */
  stream?: Writable;
}

/** The format `options` ask for, checked. */
export function chosenFormat(options: Pick<WriteProfileOptions, 'format' | 'path'>): ProfileFormat {
  if (options.format !== undefined) return parseProfileFormat(options.format);
  if (options.path !== undefined) return formatForPath(options.path);
  throw new PytraceError(
    'PYTRACE_BAD_OPTION',
    `Name a profile format (${PROFILE_FORMATS.join(', ')}) or a file whose extension tells it.`,
  );
}

/** The bytes of `profile` in `format`, in pieces. */
export function profileChunks(
  profile: StackProfile,
  format: ProfileFormat,
  options: WriteProfileOptions = {},
): Iterable<string | Uint8Array> {
  switch (format) {
    case 'collapsed':
      return collapsedChunks(profile, options);
    case 'speedscope':
      return speedscopeChunks(profile, options);
    case 'html':
      return htmlChunks(profile, options);
    case 'pprof':
      // pprof-format encodes the whole message at once: its size is that of the distinct stacks.
      return [zlib.gzipSync(encodePprof(profile, options))];
  }
}

function fileError(e: unknown, file: string): unknown {
  return writeError(e, file, 'the profile');
}

/** Writes `profile` to `options.path` or `options.stream`, in the chosen format; resolves when all is written. */
export async function writeProfile(profile: StackProfile, options: WriteProfileOptions): Promise<ProfileFormat> {
  const format = chosenFormat(options);
  if ((options.path === undefined) === (options.stream === undefined))
    throw new PytraceError(
      'PYTRACE_BAD_OPTION',
      'writeProfile() writes to one place: give it either "path" or "stream".',
    );
  const source = Readable.from(profileChunks(profile, format, options), { objectMode: false });
  if (options.path !== undefined) {
    const file = options.path;
    try {
      await pipeline(source, fs.createWriteStream(file));
    } catch (e) {
      // A cut profile would read as a smaller one: leave none.
      fs.rmSync(file, { force: true });
      throw fileError(e, file);
    }
  } else {
    const stream = options.stream!;
    const keepOpen = stream === process.stdout || stream === process.stderr;
    await pipeline(source, stream, { end: !keepOpen });
  }
  return format;
}
