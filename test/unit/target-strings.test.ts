/** Where a cut UTF-8 name must end: never inside a character. */
import { characterBoundary, nameText } from '../../lib/stream/target-strings';

const at = (s: string, keep: number) => characterBoundary(Buffer.from(s), 0, keep);

test('a cut inside a character of 2, 3 or 4 bytes ends before it; a cut between characters stays', () => {
  expect(at('ab', 2)).toBe(2);
  expect(at('a\u00e9', 2)).toBe(1); // é = c3 a9, cut after c3
  expect(at('a\u00e9', 3)).toBe(3);
  expect(at('a\u20ac', 2)).toBe(1); // € = e2 82 ac
  expect(at('a\u20ac', 3)).toBe(1);
  expect(at('a\u20ac', 4)).toBe(4);
  expect(at('a\u{1f600}', 4)).toBe(1); // f0 9f 98 80
  expect(at('a\u{1f600}', 5)).toBe(5);
});

test('nameText decodes a cut name without a replacement character', () => {
  const bytes = Buffer.from('\u00e9'.repeat(3)).subarray(0, 5);
  expect(nameText(bytes, 0, 5, true)).toBe('\u00e9\u00e9');
  expect(nameText(bytes, 0, 5, false)).toBe('\u00e9\u00e9\ufffd');
});
