/**
 * What test/scripts/long_names.py and audit_args.py must arrive as, on the
 * host and on every build of the matrix.
 */
import { AuditEvent, FrameEvent } from '../../lib/index';
import { reprArgs } from '../../lib/cli/audit-repr';
import { toJson } from '../../lib/cli/output';

const NAME_MAX = 4096;

/** What a name longer than NAME_MAX bytes becomes: its longest prefix of whole characters within NAME_MAX. */
export function cut(s: string): { text: string; truncated: boolean } {
  if (Buffer.byteLength(s) <= NAME_MAX) return { text: s, truncated: false };
  let text = '';
  for (const ch of s) {
    if (Buffer.byteLength(text + ch) > NAME_MAX) break;
    text += ch;
  }
  return { text, truncated: true };
}

/** long_names.py's functions (not its exec'd module code). */
export const isLongNameFrame = (e: { filename: string; function: string }) =>
  (e.filename.startsWith('/srv/') || e.filename.startsWith('/a')) && e.function !== '<module>';

/** Every entry and return of long_names.py run with `calls`, as they must arrive. */
export function expectedLongNameFrames(cases: [string, string][], calls: number): object[] {
  return cases.flatMap(([file, fn]) => {
    const f = cut(file);
    const n = cut(fn);
    const one = { filename: f.text, function: n.text, truncated: f.truncated || n.truncated };
    return Array.from({ length: calls }).flatMap(() => [
      { type: 'function-entry', ...one },
      { type: 'function-return', ...one },
    ]);
  });
}

export const shownFrame = (e: FrameEvent) => ({
  type: e.type,
  filename: e.filename,
  function: e.function,
  truncated: e.truncated ?? false,
});

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

/** audit_args.py's events in NDJSON (through the CLI's JSON writer). */
export const AUDIT_JSON = [
  { event: 'pytrace.kinds', argCount: 4, args: ['text', { bytes: hex('by\x00tes') }, 42, null] },
  { event: 'pytrace.ints', argCount: 6, args: [-7, 2 ** 59, -(2 ** 40), 0, 2 ** 100, -(2 ** 200)] },
  {
    event: 'pytrace.quotes',
    argCount: 6,
    args: ['\x00123', { bytes: '00ff' }, "it's", 'say "hi"', 'both \' and "', 'back\\slash'],
  },
  {
    event: 'pytrace.bytes',
    argCount: 6,
    args: [
      { bytes: hex("it's") },
      { bytes: hex('"') },
      { bytes: hex('\'"') },
      { bytes: hex('\\') },
      { bytes: hex('\t\n\r\x7f') },
      { bytes: '' },
    ],
  },
  {
    event: 'pytrace.text',
    argCount: 6,
    args: ['caf\u00e9', '\u0100\u20ac', '\u{1f600} ok', 'tab\tnl\n\x1b[2J', '\x7f\x80\x9f\xa0', '\u200b\u2028'],
  },
  { event: 'pytrace.nested', argCount: 4, args: [['127.0.0.1', 80], ['::1', 8080, 0, 0], [], ['one']] },
  { event: 'pytrace.other', argCount: 3, args: [{ type: 'list' }, { type: 'dict' }, { type: 'float' }] },
  {
    event: 'pytrace.long',
    argCount: 5,
    args: [
      { str: 'x'.repeat(256), truncated: true },
      { bytes: hex('y'.repeat(256)), truncated: true },
      { str: '\u00e9'.repeat(256), truncated: true },
      { str: '\u20ac'.repeat(128), truncated: true },
      { type: 'int' },
    ],
  },
  {
    event: 'pytrace.deep',
    argCount: 2,
    args: [[{ tuple: [], size: 2, truncated: true }], { tuple: [1, 2, 3, 4], size: 5, truncated: true }],
  },
  { event: 'pytrace.many', argCount: 8, args: [1, 2, 3, 4, 5, 6] },
  { event: 'pytrace.none', argCount: 0, args: [] },
];

/** The events whose text is Python's own repr() of the tuple: nothing in them is cut. */
export const AUDIT_UNCUT = [
  'pytrace.kinds',
  'pytrace.ints',
  'pytrace.quotes',
  'pytrace.bytes',
  'pytrace.text',
  'pytrace.nested',
  'pytrace.none',
];

/** The others' text, cut visibly. */
export const AUDIT_CUT_TEXT: Record<string, string> = {
  'pytrace.other': '(<list>, <dict>, <float>)',
  'pytrace.long': `('${'x'.repeat(256)}'…, b'${'y'.repeat(256)}'…, '${'\u00e9'.repeat(256)}'…, '${'\u20ac'.repeat(128)}'…, <int>)`,
  'pytrace.deep': '(((…),), (1, 2, 3, 4, …))',
  'pytrace.many': '(1, 2, 3, 4, 5, 6, …)',
};

export const isScriptAudit = (e: AuditEvent) => e.event.startsWith('pytrace.');

/** Checks audit_args.py's events against the script's own repr() of each tuple (`reprs`). */
export function expectAuditArgs(events: AuditEvent[], reprs: Map<string, string>): void {
  const mine = events.filter(isScriptAudit);
  expect(mine.map((e) => JSON.parse(toJson({ event: e.event, argCount: e.argCount, args: e.args })))).toEqual(
    AUDIT_JSON,
  );
  // Ints beyond 2^53 are bigints in the API, exact in JSON.
  const ints = mine.find((e) => e.event === 'pytrace.ints')!;
  expect(ints.args).toEqual([-7, 2n ** 59n, -(2 ** 40), 0, 2n ** 100n, -(2n ** 200n)]);
  expect(toJson(ints.args)).toBe(`[-7,${2n ** 59n},${-(2 ** 40)},0,${2n ** 100n},${-(2n ** 200n)}]`);
  const text = new Map(mine.map((e) => [e.event, reprArgs(e.args!, e.argCount!)]));
  for (const name of AUDIT_UNCUT) expect([name, text.get(name)]).toEqual([name, reprs.get(name)]);
  for (const [name, shown] of Object.entries(AUDIT_CUT_TEXT)) expect([name, text.get(name)]).toEqual([name, shown]);
}
