/**
 * Which file of a binary holds its markers: the executable itself (Debian's
 * static python3.X), or the libpython it links (--enable-shared builds,
 * programs embedding CPython).
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeBinary } from './describe';

const LIB_DIRS = ['/usr/local/lib', '/usr/lib64', '/lib64', '/usr/lib', '/lib'];

/**
 * The libpython an executable links (the --enable-shared case: Fedora's
 * python, programs embedding CPython), found by its DT_NEEDED name in the
 * usual library directories; null when it links none.
 */
export function linkedLibpython(binary: string): string | null {
  let data: Buffer;
  try {
    data = fs.readFileSync(binary);
  } catch {
    return null;
  }
  const m = /libpython\d+\.\d+[a-z]*\.so(?:\.[\d.]*\d)?/.exec(data.toString('latin1'));
  if (!m) return null;
  const multiarch = LIB_DIRS.flatMap((d) => [`${d}/x86_64-linux-gnu`, `${d}/aarch64-linux-gnu`]);
  const dirs = [path.join(path.dirname(binary), '..', 'lib'), ...multiarch, ...LIB_DIRS];
  for (const dir of dirs) {
    const p = path.join(dir, m[0]);
    if (fs.existsSync(p)) return path.normalize(p);
  }
  return null;
}

/** The object to attach to for `binary`: itself when it holds the markers, else the libpython it links. */
export function markerObjectOf(binary: string): string {
  if (describeBinary(binary).build !== 'none') return binary;
  const lib = linkedLibpython(binary);
  if (lib && describeBinary(lib).build !== 'none') return lib;
  return binary;
}
