/**
 * A process in another PID namespace (a container) knows itself by other
 * numbers: events then carry both the host's pid/tid and the namespace's,
 * which the BPF program reads from the task at the event (a thread may be
 * gone by the time its event is decoded).
 */
import * as fs from 'fs';

function pidNamespace(pid: number | 'self'): number | undefined {
  try {
    return fs.statSync(`/proc/${pid}/ns/pid`).ino;
  } catch {
    return undefined;
  }
}

/** Should the kernel fill in namespace ids: for `pid` (-1: any process, some may be in containers). */
export function wantsNamespaceIds(pid: number): boolean {
  if (pid === -1) return true;
  const theirs = pidNamespace(pid);
  return theirs !== undefined && theirs !== pidNamespace('self');
}
