/**
 * Readers the formats' tests check output with: the collapsed text parsed
 * as flamegraph.pl reads it (the value after the last space, frames split on
 * ';'), speedscope's own schema through ajv, and pprof-format's decoder.
 */
import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Profile } from 'pprof-format';

export interface CollapsedLine {
  frames: string[];
  value: number;
}

export function parseCollapsed(text: string): CollapsedLine[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const space = line.lastIndexOf(' ');
      expect(line.slice(space + 1)).toMatch(/^\d+$/);
      return { frames: line.slice(0, space).split(';'), value: Number(line.slice(space + 1)) };
    });
}

const SCHEMA = path.join(
  path.dirname(require.resolve('speedscope/package.json')),
  'dist/release/file-format-schema.json',
);

/** Problems ajv finds in `doc` against speedscope's published schema ([] when valid). */
export function speedscopeProblems(doc: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A gzipped pprof file decoded by pprof-format, with its strings looked up. */
export function decodePprof(gz: Buffer): { profile: Profile; str: (i: number | bigint) => string } {
  expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  const profile = Profile.decode(zlib.gunzipSync(gz));
  return { profile, str: (i) => profile.stringTable.strings[Number(i)] };
}
