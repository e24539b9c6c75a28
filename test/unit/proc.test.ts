/** The /proc parsers, on text as the kernel writes it. */
import { mappedObjects, parseMaps, parseStat } from '../../lib/discovery/proc';

describe('parseStat', () => {
  const rest = 'S 1 4242 4242 34816 4242 4194304 0 0 0 0 0 0 0 0 20 0 3 0 987654 10000 100 18446744073709551615';

  test.each([
    ['python3.11', 'python3.11'],
    ['a name with spaces', 'a name with spaces'],
    ['evil) R 1 2 (x', 'evil) R 1 2 (x'],
    [')(', ')('],
    ['', ''],
  ])('comm %j', (comm) => {
    const s = parseStat(`4243 (${comm}) ${rest}\n`);
    expect(s).toEqual({
      pid: 4243,
      comm,
      state: 'S',
      ppid: 1,
      pgrp: 4242,
      session: 4242,
      ttyNr: 34816,
      tpgid: 4242,
      flags: 4194304n,
      startTime: 987654n,
    });
  });

  test('a line that is not stat is an error', () => {
    expect(() => parseStat('nonsense')).toThrow(/not a \/proc\/PID\/stat line/);
  });
});

describe('parseMaps and mappedObjects', () => {
  const maps = [
    '00400000-00420000 r--p 00000000 fe:01 1234 /usr/bin/python3.11 (deleted)',
    '00420000-00700000 r-xp 00020000 fe:01 1234 /usr/bin/python3.11 (deleted)',
    '7f0000000000-7f0000001000 r-xp 00000000 fe:01 99 /srv/jail/usr/lib/libz.so.1',
    '7f0000002000-7f0000003000 rw-p 00000000 00:00 0 ',
    '7f0000004000-7f0000005000 r-xp 00000000 00:00 0 [vdso]',
    '7f0000006000-7f0000007000 r-xp 00000000 fe:01 77 /tmp/name with spaces.so',
  ].join('\n');

  test('file-backed mappings, paths inside the root, deletions marked', () => {
    const m = parseMaps(maps, '/srv/jail');
    expect(m.map((x) => [x.start, x.perms, x.offset, x.path, x.deleted])).toEqual([
      [0x400000n, 'r--p', 0n, '/usr/bin/python3.11', true],
      [0x420000n, 'r-xp', 0x20000n, '/usr/bin/python3.11', true],
      [0x7f0000000000n, 'r-xp', 0n, '/usr/lib/libz.so.1', false],
      [0x7f0000006000n, 'r-xp', 0n, '/tmp/name with spaces.so', false],
    ]);
  });

  test('a replaced file is opened through its mapping, the others through the root; the executable first', () => {
    const objects = mappedObjects(77, '/usr/bin/python3.11', parseMaps(maps, '/srv/jail'));
    expect(objects).toEqual([
      { path: '/usr/bin/python3.11', openPath: '/proc/77/map_files/420000-700000', replaced: true },
      { path: '/usr/lib/libz.so.1', openPath: '/proc/77/root/usr/lib/libz.so.1', replaced: false },
      { path: '/tmp/name with spaces.so', openPath: '/proc/77/root/tmp/name with spaces.so', replaced: false },
    ]);
  });
});
