/**
 * Text a traced program controls (file, function, module, thread, audit and
 * marker names, paths), made safe for a terminal: every character that could
 * break a line, start an escape sequence or reorder what is shown becomes a
 * visible escape, so one event stays one line and nothing is interpreted.
 * Every text printer passes such strings through printable(); NDJSON goes
 * through jsonSafe() instead.
 */

/**
 * C0 controls, DEL and C1 controls (U+009B is CSI on terminals that read 8-bit
 * controls); U+2028/U+2029 (line breaks to some viewers); the bidirectional
 * formatting characters (they reorder what follows on the line); lone
 * surrogates (not text: written as U+FFFD otherwise). The backslash too, so an
 * escape in the output always means an escaped character.
 */
const UNSAFE =
  /[\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** UNSAFE without the pairing checks: most names have none of these, and this test is cheaper than the replace. */
const MAYBE_UNSAFE = /[\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The mark that ends a name the kernel could not read whole. */
export const CUT_MARK = '…';

/**
 * `s` as Python's repr writes its unprintable characters (\n, \x1b, \x9b,
 * \u2028, \\), with "…" when `cut` (the name arrived truncated).
 */
export function printable(s: string, cut = false): string {
  const safe = MAYBE_UNSAFE.test(s) ? s.replace(UNSAFE, escapeOne) : s;
  return cut ? safe + CUT_MARK : safe;
}

/**
 * Whether the event says its `field` was cut: the one place that reads the
 * events' `truncated` flag (true for the event's names, or a list of the
 * fields cut).
 */
export function wasCut(ev: object, field: string): boolean {
  const t = (ev as { truncated?: unknown }).truncated;
  return t === true || (Array.isArray(t) && t.includes(field));
}

/** A field of an event, printable, marked when cut. */
export function shown(ev: object, field: string): string {
  return printable(String((ev as Record<string, unknown>)[field]), wasCut(ev, field));
}

/**
 * JSON text whose strings decode to exactly the same strings, with no raw
 * DEL, C1, U+2028 or U+2029 left (JSON.stringify escapes C0 and lone
 * surrogates, not these). They can only occur inside strings, where \uXXXX
 * means the same character.
 */
export function jsonSafe(json: string): string {
  return json.replace(/[\x7f-\x9f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
