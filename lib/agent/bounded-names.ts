/**
 * Bounded label cardinality: per process, at most `limit` names (functions,
 * audit events) get a series of their own; the rest are summed under OTHER.
 * A name keeps its series once it has one, so every series stays a monotonic
 * counter; within one read, the most frequent names are admitted first, so
 * the series go to the busiest functions of the moment they appear.
 */
export const OTHER = '(other)';

export class BoundedNames {
  private admitted = new Map<number, Set<string>>();

  constructor(readonly limit: number) {}

  /** The name `name` is counted under in process `pid`: itself, or OTHER when the process has no room left. */
  nameFor(pid: number, name: string): string {
    let names = this.admitted.get(pid);
    if (!names) this.admitted.set(pid, (names = new Set()));
    if (names.has(name)) return name;
    if (names.size >= this.limit) return OTHER;
    names.add(name);
    return name;
  }

  /**
   * One read's counts, each under the key it is counted under (OTHER for those
   * over the bound), summed per (pid, key); most frequent first within a pid.
   */
  assign<T extends { pid: number; count: number }>(
    counts: readonly T[],
    keyOf: (c: T) => string,
  ): { pid: number; key: string; count: number }[] {
    const sorted = [...counts].sort((a, b) => a.pid - b.pid || b.count - a.count || cmp(keyOf(a), keyOf(b)));
    const sums = new Map<string, { pid: number; key: string; count: number }>();
    for (const c of sorted) {
      const key = this.nameFor(c.pid, keyOf(c));
      const id = `${c.pid}\u0000${key}`;
      const sum = sums.get(id);
      if (sum) sum.count += c.count;
      else sums.set(id, { pid: c.pid, key, count: c.count });
    }
    return [...sums.values()];
  }

  forget(pid: number): void {
    this.admitted.delete(pid);
  }

  /** Processes with names admitted (for tests and health). */
  get processes(): number {
    return this.admitted.size;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
