/**
 * NDJSON of events, fast: the same text as toJson() gives (bigints as exact
 * numbers, strings exact, no raw DEL, C1, U+2028/9), written field by field
 * with each string's JSON text kept (the traced program's names repeat on
 * every call). Events come in a few layouts (the keys in order); each layout
 * gets its own writer function reading its properties by constant names: a
 * property read by a variable name costs about 70 ns here, ten of them more
 * than the rest of the line. JSON.stringify with a replacer and the marks
 * toJson() undoes ran at 0.2 M events/s.
 */
import { jsonSafe } from './escape';
import { toJson } from './output';

const MAX_CACHED = 1 << 16;
const strings = new Map<string, string>();

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

/** A value's JSON; undefined (and functions, symbols) for none, as JSON.stringify leaves such members out. */
function valueJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return v === null ? 'null' : toJson(v);
  }
}

type Writer = (value: object, valueJson: (v: unknown) => string | undefined) => string;

interface Layout {
  keys: string[];
  write: Writer;
}

/** In the order first seen; a handful in practice (one per event type, returns with durations). */
const layouts: Layout[] = [];
const MAX_LAYOUTS = 64;

function compile(keys: string[]): Writer {
  const body = keys
    .map((k, i) => {
      const name = jsonSafe(JSON.stringify(k));
      return `v = j(o[${JSON.stringify(k)}]); if (v !== undefined) s += ${i ? `(s.length > 1 ? ${JSON.stringify(',' + name + ':')} : ${JSON.stringify(name + ':')})` : JSON.stringify(name + ':')} + v;`;
    })
    .join('\n');
  return new Function('o', 'j', `let s = '{', v;\n${body}\nreturn s;`) as Writer;
}

function layoutOf(value: object): Layout {
  for (const l of layouts) {
    let n = 0;
    let same = true;
    for (const k in value)
      if (l.keys[n++] !== k) {
        same = false;
        break;
      }
    if (same && n === l.keys.length) return l;
  }
  const keys: string[] = [];
  for (const k in value) keys.push(k);
  const l = { keys, write: compile(keys) };
  if (layouts.length >= MAX_LAYOUTS) layouts.length = 0;
  layouts.push(l);
  return l;
}

/** The members of `value`, after "{" and without the "}". */
function fields(value: object): string {
  return layoutOf(value).write(value, valueJson);
}

/** `{...event, ...extra}` as one JSON line (without the newline); extra's keys are not the event's. */
export function eventJson(event: object, extra?: object): string {
  const s = fields(event);
  if (!extra) return s + '}';
  const more = fields(extra);
  return s + (more.length > 1 ? (s.length > 1 ? ',' : '') + more.slice(1) : '') + '}';
}

/** The event's JSON with `tail` (JSON members, starting with a comma) added: no object to build per event. */
export function eventJsonWith(event: object, tail: string): string {
  return fields(event) + tail + '}';
}
