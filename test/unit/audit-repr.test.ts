/** Audit arguments as text: Python's repr() rules, and visible cuts. */
import { CUT_MARK, reprArg, reprArgs, reprBytes, reprStr } from '../../lib/cli/audit-repr';

test('str: the quote repr() picks, and its escapes', () => {
  expect(reprStr("it's")).toBe(`"it's"`);
  expect(reprStr('say "hi"')).toBe(`'say "hi"'`);
  expect(reprStr(`both ' and "`)).toBe(`'both \\' and "'`);
  expect(reprStr('back\\slash')).toBe(`'back\\\\slash'`);
  expect(reprStr('\x00123')).toBe(`'\\x00123'`);
  expect(reprStr('t\tn\nr\r\x1b[2J\x7f\x9f')).toBe(`'t\\tn\\nr\\r\\x1b[2J\\x7f\\x9f'`);
  expect(reprStr('\xa0\u200b\u2028\ud800')).toBe(`'\\xa0\\u200b\\u2028\\ud800'`);
  expect(reprStr('caf\u00e9 \u20ac \u{1f600}')).toBe(`'caf\u00e9 \u20ac \u{1f600}'`);
  expect(reprStr('\u{e0001}')).toBe(`'\\U000e0001'`);
});

test('bytes', () => {
  expect(reprBytes(Buffer.from([0, 0xff]))).toBe(`b'\\x00\\xff'`);
  expect(reprBytes(Buffer.from("it's"))).toBe(`b"it's"`);
  expect(reprBytes(Buffer.from(`'"\\\t`))).toBe(`b'\\'"\\\\\\t'`);
  expect(reprBytes(Buffer.alloc(0))).toBe(`b''`);
});

test('tuples, None, ints, other objects; cuts are marked', () => {
  expect(reprArgs([], 0)).toBe('()');
  expect(reprArgs([1], 1)).toBe('(1,)');
  expect(reprArgs([['127.0.0.1', 80], null, 2n ** 64n], 3)).toBe(`(('127.0.0.1', 80), None, 18446744073709551616)`);
  expect(reprArgs([1, 2], 5)).toBe(`(1, 2, ${CUT_MARK})`);
  expect(reprArg({ str: 'ab', truncated: true })).toBe(`'ab'${CUT_MARK}`);
  expect(reprArg({ bytes: '6162', truncated: true })).toBe(`b'ab'${CUT_MARK}`);
  expect(reprArg({ bytes: '6162' })).toBe(`b'ab'`);
  expect(reprArg({ tuple: [1], size: 3, truncated: true })).toBe(`(1, ${CUT_MARK})`);
  expect(reprArg({ type: 'list' })).toBe('<list>');
});
