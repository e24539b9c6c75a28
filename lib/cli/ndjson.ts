/**
 * NDJSON of events, fast: an event is a flat object of strings, numbers and
 * bigints, written here field by field, with each name's JSON text kept (the
 * traced program's names repeat on every call). The same text as toJson()
 * gives: bigints as exact numbers, strings exact, no raw DEL, C1, U+2028/9.
 * JSON.stringify with a replacer and the marks toJson() undoes ran at 0.2 M
 * events/s; this at several M/s.
 */
import { jsonSafe } from './escape';
import { toJson } from './output';

const MAX_CACHED = 1 << 16;
const strings = new Map<string, string>();
const keys = new Map<string, string>();

function jsonString(s: string): string {
  let text = strings.get(s);
  if (text === undefined) {
    text = jsonSafe(JSON.stringify(s));
    // Names are few and repeat; a program making endless new ones only refills it.
    if (strings.size >= MAX_CACHED) strings.clear();
    strings.set(s, text);
  }
  return text;
}

function fields(value: object, s: string): string {
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    let text: string;
    switch (typeof v) {
      case 'string':
        text = jsonString(v);
        break;
      case 'number':
        text = Number.isFinite(v) ? String(v) : 'null';
        break;
      case 'bigint':
        text = v.toString();
        break;
      case 'boolean':
        text = v ? 'true' : 'false';
        break;
      case 'undefined':
      case 'function':
      case 'symbol':
        continue;
      default:
        text = v === null ? 'null' : toJson(v);
    }
    let key = keys.get(k);
    if (key === undefined) keys.set(k, (key = jsonSafe(JSON.stringify(k)) + ':'));
    s += (s.length > 1 ? ',' : '') + key + text;
  }
  return s;
}

/** `{...event, ...extra}` as one JSON line (without the newline). */
export function eventJson(event: object, extra?: object): string {
  const s = fields(event, '{');
  return (extra ? fields(extra, s) : s) + '}';
}

/** The event's JSON with `tail` (JSON members, starting with a comma) added: no object to build per event. */
export function eventJsonWith(event: object, tail: string): string {
  return fields(event, '{') + tail + '}';
}
