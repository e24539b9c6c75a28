/** pytrace record's choice of output format: --format first, then the file's name, then the mode's own. */
import { UsageError } from '../../lib/cli/args';
import { recordFormat } from '../../lib/cli/record-output';

test.each([
  // [exact, --format, -o, chosen]
  [false, undefined, undefined, 'collapsed'],
  [true, undefined, undefined, 'trace-json'],
  [false, undefined, 'p.folded', 'collapsed'],
  [false, undefined, 'p.unknown-ending', 'collapsed'],
  [true, undefined, 'p.unknown-ending', 'trace-json'],
  [false, undefined, 'p.json', 'speedscope'],
  [true, undefined, 'p.json', 'trace-json'],
  [true, undefined, 'P.TRACE.JSON', 'trace-json'],
  [true, undefined, 'p.speedscope.json', 'speedscope'],
  [true, undefined, 'p.pb.gz', 'pprof'],
  [true, undefined, 'p.html', 'html'],
  [false, 'pprof', 'p.json', 'pprof'],
  [true, 'collapsed', 'trace.json', 'collapsed'],
  [true, 'trace-json', 'p.html', 'trace-json'],
] as const)('exact %s, --format %s, -o %s: %s', (exact, format, output, chosen) => {
  expect(recordFormat(exact, format, output)).toBe(chosen);
});

test('a timeline without --exact, or a format not known, is a usage error', () => {
  expect(() => recordFormat(false, 'trace-json', undefined)).toThrow(UsageError);
  expect(() => recordFormat(false, undefined, 'x.trace.json')).toThrow(/needs --exact/);
  expect(() => recordFormat(true, 'svg', undefined)).toThrow(/unknown --format "svg"/);
});
