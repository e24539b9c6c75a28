/**
 * Pythons of known behaviour for the agent's tests (scripts/known_work.py),
 * on the host or in a container root, and what the agent must report for
 * each: CPython's own counts (gc.get_stats(), -X importtime's lines) of what
 * happened while the agent watched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { build, IN_ROOT, startIn } from '../helpers/builds';
import { Child, startChild } from '../helpers/child';

export const PYTHON = '/usr/bin/python3.11';
export const WORK = path.resolve(__dirname, 'scripts/known_work.py');

export interface Work {
  calls: number;
  gcRounds: number;
  audits: number;
  missing: number;
  modules: string[];
}

interface GcStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

export interface Expected {
  calls: number;
  gcCollections: Record<string, number>;
  gcCollected: Record<string, number>;
  imports: number;
  importFailures: number;
  audits: number;
}

export class WorkPython {
  result?: { before: GcStats[]; after: GcStats[] };

  constructor(
    readonly child: Child,
    readonly pid: number,
    /** The script's path as the process names it (the file label). */
    readonly file: string,
    readonly work: Work,
    /** Watched from its first instruction (started after the agent), or only from "ready" on. */
    readonly fromStart: boolean,
  ) {}

  go(): void {
    this.child.send('go\n');
  }

  async done(): Promise<void> {
    const line = await this.child.line((l) => l.startsWith('result '), 20000);
    this.result = JSON.parse(line.slice('result '.length));
  }

  /** What the agent must say of this process, from CPython's own counts. */
  expected(): Expected {
    const { before, after } = this.result!;
    const base = (g: number) => (this.fromStart ? { collections: 0, collected: 0, uncollectable: 0 } : before[g]);
    const gcCollections: Record<string, number> = {};
    const gcCollected: Record<string, number> = {};
    for (let g = 0; g < 3; g++) {
      const n = after[g].collections - base(g).collections;
      if (n === 0) continue;
      gcCollections[g] = n;
      // The marker reports collected and uncollectable objects together.
      gcCollected[g] = after[g].collected + after[g].uncollectable - base(g).collected - base(g).uncollectable;
    }
    // One "import time:" line per module searched and loaded, found or not (the header has no number).
    let lines = this.child.stderr.split('\n');
    if (!this.fromStart) lines = lines.slice(lines.indexOf('-- ready'));
    lines = lines.slice(0, lines.indexOf('-- done'));
    return {
      calls: this.work.calls,
      gcCollections,
      gcCollected,
      imports: lines.filter((l) => /^import time:\s+\d/.test(l)).length,
      importFailures: this.work.missing,
      audits: this.work.audits,
    };
  }
}

function argv(w: Work): string[] {
  return [w.calls, w.gcRounds, w.audits, w.missing, w.modules.join(',')].map(String);
}

/** Debian's python3.11 on the host: isolated and without site, so start-up imports are CPython's own. */
export async function startHost(w: Work, fromStart: boolean): Promise<WorkPython> {
  const child = startChild(PYTHON, ['-I', '-S', '-X', 'importtime', WORK, ...argv(w)]);
  await child.line((l) => l === 'ready');
  return new WorkPython(child, child.pid, WORK, w, fromStart);
}

/** The Debian 3.11 root's python3.11 in a container (own mount and PID namespaces, own root). */
export async function startContainer(w: Work): Promise<WorkPython> {
  const b = build('3.11');
  fs.mkdirSync(path.join(b.root, IN_ROOT), { recursive: true });
  fs.copyFileSync(WORK, path.join(b.root, IN_ROOT, 'known_work.py'));
  const py = await startIn(b, 'known_work.py', argv(w), {
    isolation: 'container',
    env: { PYTHONPROFILEIMPORTTIME: '1' },
  });
  return new WorkPython(py.child, py.pid, path.posix.join(IN_ROOT, 'known_work.py'), w, false);
}
