/** Where a planned location is in a process: the file named as maps names it. */
import { parseMaps } from '../../lib/discovery/proc';
import { pathInMaps } from '../../lib/planning/addresses';

const MAPS = parseMaps(
  [
    '55d0c0a00000-55d0c0a80000 r--p 00000000 08:01 1234 /usr/bin/python3.11',
    '55d0c0a80000-55d0c0d00000 r-xp 00080000 08:01 1234 /usr/bin/python3.11 (deleted)',
    '7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /usr/lib/libz.so.1',
  ].join('\n'),
);

test('through the process root, as the process names it', () => {
  expect(pathInMaps(MAPS, '/proc/42/root/usr/lib/libz.so.1')).toBe('/usr/lib/libz.so.1');
  expect(pathInMaps(MAPS, '/usr/bin/python3.11')).toBe('/usr/bin/python3.11');
});

test('a replaced file opened through map_files: the path of the mapping that starts there', () => {
  expect(pathInMaps(MAPS, '/proc/42/map_files/55d0c0a80000-55d0c0d00000')).toBe('/usr/bin/python3.11');
  expect(pathInMaps(MAPS, '/proc/42/map_files/1000-2000')).toBeUndefined();
});
