/** The agent's pure parts: the per-process bound on names, and its options' parsing. */
import { BoundedNames, OTHER } from '../../lib/agent/bounded-names';
import { parseProfileQuery } from '../../lib/agent/profile-endpoint';
import { parseListen } from '../../lib/agent/serve';

test('the busiest names of a read are admitted first; the rest are summed under OTHER, per process', () => {
  const b = new BoundedNames(2);
  const read = (counts: [number, string, number][]) =>
    b.assign(
      counts.map(([pid, name, count]) => ({ pid, name, count })),
      (c) => c.name,
    );
  expect(
    read([
      [1, 'a', 1],
      [1, 'b', 5],
      [1, 'c', 3],
      [1, 'd', 1],
      [2, 'a', 1],
    ]),
  ).toEqual([
    { pid: 1, key: 'b', count: 5 },
    { pid: 1, key: 'c', count: 3 },
    { pid: 1, key: OTHER, count: 2 },
    { pid: 2, key: 'a', count: 1 },
  ]);
  // Admitted once, kept: a name busier later does not take another's series (each stays monotonic).
  expect(
    read([
      [1, 'a', 100],
      [1, 'c', 1],
    ]),
  ).toEqual([
    { pid: 1, key: OTHER, count: 100 },
    { pid: 1, key: 'c', count: 1 },
  ]);
  b.forget(1);
  expect(b.nameFor(1, 'a')).toBe('a');
  expect(b.processes).toBe(2);
});

test('listen addresses and /profile queries: what is accepted, what is refused', () => {
  expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
  expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
  expect(parseListen(':9464')).toEqual({ host: '::', port: 9464 });
  for (const bad of ['9464', 'host:', 'a:b', '1.2.3.4:70000', '::1:80'])
    expect(() => parseListen(bad)).toThrow(expect.objectContaining({ code: 'PYTRACE_BAD_OPTION' }));
  const q = (s: string) => parseProfileQuery(new URLSearchParams(s));
  expect(q('')).toEqual({ seconds: 30 });
  expect(q('seconds=0.5&pid=42')).toEqual({ seconds: 0.5, pid: 42 });
  for (const bad of ['seconds=', 'seconds=0', 'seconds=-1', 'seconds=1e9', 'seconds=x', 'pid=0', 'pid=1.5', 'pid=-3'])
    expect(() => q(bad)).toThrow(/seconds|pid/);
});
