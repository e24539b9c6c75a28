/**
 * Where each planned location is in a process's memory. Kernels without BPF
 * cookies (before Linux 5.15) tell the BPF program which location fired by
 * its address in the process that hit it; plans made from a file (a binary,
 * or a program a process exec'd) get it here from the process's mappings.
 */
import * as fs from 'fs';
import { addressOfFileOffset, Mapping, parseMaps } from '../discovery/proc';
import { NativeTarget } from '../native';

/** Fills in `address` of the event and count targets of `pid` that lack one and whose file it maps. */
export function placeInProcess(targets: NativeTarget[], pid: number): void {
  const unplaced = targets.filter((t) => t.spec && t.address === undefined && (t.pid ?? pid) === pid);
  if (pid <= 0 || !unplaced.length) return;
  let maps: Mapping[];
  try {
    // Paths as the process names them (inside its root), as /proc/PID/root/... opens them.
    maps = parseMaps(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'), fs.readlinkSync(`/proc/${pid}/root`));
  } catch {
    return; // gone: the attach says so
  }
  for (const t of unplaced) {
    const path = pathInMaps(maps, t.path);
    const address = path === undefined ? undefined : addressOfFileOffset(maps, path, BigInt(t.offset));
    if (address !== undefined) t.address = Number(address);
  }
}

/** The name maps gives a file opened as `openPath`: through the process's root, or (a replaced file) its map_files entry. */
export function pathInMaps(maps: Mapping[], openPath: string): string | undefined {
  const mapped = /^\/proc\/\d+\/map_files\/([0-9a-f]+)-/.exec(openPath);
  if (mapped) return maps.find((m) => m.start === BigInt('0x' + mapped[1]))?.path;
  return openPath.replace(/^\/proc\/\d+\/root(?=\/)/, '');
}
