/** What the CLI writes of a target's strings: escaped text, exact NDJSON, fitted top rows. */
import { jsonSafe, printable, shown } from '../../lib/cli/escape';
import { toJson } from '../../lib/cli/output';
import { elideMiddle, header, outputWidth, row, totals, widthsFor } from '../../lib/cli/top-layout';

test('printable: C0, DEL, C1, line separators, bidi controls, lone surrogates and the backslash are escaped', () => {
  expect(printable('\x1b]0;title\x07')).toBe('\\x1b]0;title\\x07');
  expect(printable('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
  expect(printable('\x00\x1f\x7f\x80\x9b\x9f')).toBe('\\x00\\x1f\\x7f\\x80\\x9b\\x9f');
  expect(printable('\u2028\u2029\u202e\u2066\u200f')).toBe('\\u2028\\u2029\\u202e\\u2066\\u200f');
  expect(printable('x\ud800y\udc00z')).toBe('x\\ud800y\\udc00z');
  expect(printable('C:\\x1b')).toBe('C:\\\\x1b');
});

test('printable: ordinary text, non-ASCII letters and surrogate pairs pass unchanged', () => {
  for (const s of ['main', '/usr/lib/python3.11/json/decoder.py', 'été', '名前', '\u00a0', '😀', '<module>'])
    expect(printable(s)).toBe(s);
});

test('a cut name ends in "…"; the events\' flag is read in one place', () => {
  expect(printable('abc', true)).toBe('abc…');
  const ev = { filename: 'f\n.py', function: 'g', truncated: true };
  expect(shown(ev, 'filename')).toBe('f\\n.py…');
  expect(shown({ filename: 'f', function: 'g', truncated: ['function'] }, 'filename')).toBe('f');
  expect(shown({ filename: 'f', function: 'g', truncated: ['function'] }, 'function')).toBe('g…');
  expect(shown({ filename: 'f' }, 'filename')).toBe('f');
});

test('toJson: every string decodes to exactly itself, with no raw DEL, C1 or line separator', () => {
  const strings = [
    '\x1b[2J',
    '\x7f',
    '\x9b',
    '\u2028\u2029',
    'a\ud800',
    '\u0000123',
    '\u0000n5',
    'x"\u0000n5"',
    'a:',
    '\u0000s',
    '"\\',
  ];
  for (const s of strings) {
    const text = toJson({ s, list: [s], [s]: s });
    expect(text).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual({ s, list: [s], [s]: s });
  }
  expect(jsonSafe(JSON.stringify('\x7f'))).toBe('"\\u007f"');
});

test('toJson: bigints as exact numbers, anywhere', () => {
  const ts = 18446744073709551615n;
  expect(toJson({ ts, nested: [ts, { n: -5n }], s: 'x' })).toBe(
    '{"ts":18446744073709551615,"nested":[18446744073709551615,{"n":-5}],"s":"x"}',
  );
});

test('elideMiddle: a path keeps its file name, other names both ends', () => {
  const p = '/usr/lib/python3/dist-packages/somepackage/submodule/module.py';
  expect(elideMiddle(p, 100)).toBe(p);
  // Half the width for the end at least, and the whole file name.
  expect(elideMiddle(p, 30)).toBe('/usr/lib/pytho…odule/module.py');
  expect(elideMiddle(p, 12)).toBe('/u…module.py');
  expect(elideMiddle(p, 6)).toBe('…le.py');
  expect(elideMiddle('a_very_long_function_name_indeed', 11)).toBe('a_ver…ndeed');
  expect(elideMiddle('abc', 1)).toBe('…');
});

test("top rows: the HOWTO's columns from 132 columns up, narrower to fit, a totals line", () => {
  const c = {
    pid: 4242,
    filename: '/srv/app/handlers/very/deep/package/path/requests_handler.py',
    lineno: 12,
    function: 'handle',
    count: 1234567,
  };
  const wide = widthsFor([c], 200);
  expect(wide).toEqual({ file: 80, function: 30, calls: 7 });
  expect(row(c, wide)).toBe(
    `${'4242'.padStart(6)} ${c.filename.padStart(80)} ${'12'.padStart(6)} ${'handle'.padStart(30)} 1234567`,
  );
  for (const width of [132, 100, 80, 60]) {
    const w = widthsFor([c], width);
    expect([width, header(w).length, row(c, w).length]).toEqual([width, width, width]);
  }
  expect(row(c, widthsFor([c], 60))).toBe(`  4242 /sr…requests_handler.py     12         handle 1234567`);
  expect(row({ ...c, function: 'a_function_with_a_long_name' }, widthsFor([c], 60))).toMatch(
    / a_func…ng_name 1234567$/,
  );
  expect(totals(1500, 3, 0.5, 9000)).toBe(
    'total: 1500 calls in 3 functions this interval (3000/s), 9000 since the start',
  );
});

test('outputWidth: $COLUMNS, else the terminal, else 80', () => {
  expect(outputWidth(false, { COLUMNS: '132' })).toBe(132);
  expect(outputWidth(false, { COLUMNS: 'wide' })).toBe(80);
  expect(outputWidth(false, {})).toBe(80);
});
