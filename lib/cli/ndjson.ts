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
import { flat } from './flat-string';

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

type Writer = (
  value: object,
  valueJson: (v: unknown) => string | undefined,
  head: typeof headJson,
  frame: typeof frameJson,
) => string;

interface Layout {
  keys: string[];
  write: Writer;
}

/** In the order first seen; a handful in practice (one per event type, returns with durations). */
const layouts: Layout[] = [];
const MAX_LAYOUTS = 64;

/**
 * Cached pieces of JSON, found with one map lookup and a short list: `key`
 * (a thread, a function name) leads to the few `a`/`b` pairs seen with it.
 * A list full (one name in very many files) drops its oldest.
 */
interface Piece<A, B> {
  a: A;
  b: B;
  text: string;
}

const LIST_MAX = 16;

class PieceCache<K, A, B> {
  private byKey = new Map<K, Piece<A, B>[]>();
  private count = 0;

  get(key: K, a: A, b: B): string | undefined {
    const list = this.byKey.get(key);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (list[i].a === a && list[i].b === b) return list[i].text;
    return undefined;
  }

  set(key: K, a: A, b: B, text: string): void {
    if (this.count++ >= MAX_CACHED) {
      this.byKey.clear();
      this.count = 0;
    }
    let list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, (list = []));
    if (list.length >= LIST_MAX) list.shift();
    list.push({ a, b, text });
  }
}

/**
 * `{"type":…,"pid":…,"tid":…` and, when a timestamp follows, `,"ts":`, per
 * thread: every event starts so, and a thread's events repeat it.
 */
const heads = new PieceCache<number, string, number>();
const headsWithTs = new PieceCache<number, string, number>();

function headJson(type: string, pid: number, tid: number, withTs: boolean): string {
  const cache = withTs ? headsWithTs : heads;
  let text = cache.get(tid, type, pid);
  if (text === undefined) {
    text = flat(
      `{"type":${jsonString(type)},"pid":${numberJson(pid)},"tid":${numberJson(tid)}${withTs ? ',"ts":' : ''}`,
    );
    cache.set(tid, type, pid, text);
  }
  return text;
}

/** `,"filename":…,"function":…,"lineno":…`, per frame: a program's frames repeat on every call. */
const frames = new PieceCache<string, string, number>();

function frameJson(filename: string, fn: string, lineno: number): string {
  let text = frames.get(fn, filename, lineno);
  if (text === undefined) {
    text = flat(`,"filename":${jsonString(filename)},"function":${jsonString(fn)},"lineno":${numberJson(lineno)}`);
    frames.set(fn, filename, lineno, text);
  }
  return text;
}

function numberJson(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

const HEAD = ['type', 'pid', 'tid'];
const FRAME = ['filename', 'function', 'lineno'];

function startsWith(keys: string[], at: number, group: string[]): boolean {
  return group.every((k, i) => keys[at + i] === k);
}

/**
 * The code that writes one member: the value read by its constant name,
 * bigints and small integers (timestamps, pids, durations) inline, the rest
 * through valueJson.
 */
function member(k: string): string {
  const name = jsonSafe(JSON.stringify(k));
  const read = `o[${JSON.stringify(k)}]`;
  return (
    `v = ${read}; v = typeof v === 'bigint' ? v.toString() : typeof v === 'number' && (v | 0) === v ? '' + v : j(v);\n` +
    `if (v !== undefined) s += (s.length > 1 ? ${JSON.stringify(',' + name + ':')} : ${JSON.stringify(name + ':')}) + v;`
  );
}

/**
 * A layout's writer. The type, pid and tid that begin every event (with the
 * timestamp's key when it follows), and the file, function and line of frame
 * events, are written as one cached piece each when their values have the
 * usual types (otherwise member by member). Pieces are few and long on
 * purpose: the line is a rope of them, and writing it out costs about 11 ns
 * a piece (measured), more than the bytes.
 */
function compile(keys: string[]): Writer {
  const code: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (i === 0 && startsWith(keys, 0, [...HEAD, 'ts'])) {
      const ts = HEAD.length;
      code.push(
        `if (typeof o.type === 'string' && typeof o.pid === 'number' && typeof o.tid === 'number' && typeof o.ts === 'bigint') {`,
        `s = h(o.type, o.pid, o.tid, true); s += o.ts.toString();`,
        `} else {`,
        ...keys.slice(0, ts + 1).map(member),
        `}`,
      );
      i += ts;
    } else if (i === 0 && startsWith(keys, 0, HEAD)) {
      code.push(
        `if (typeof o.type === 'string' && typeof o.pid === 'number' && typeof o.tid === 'number') s = h(o.type, o.pid, o.tid, false);`,
        `else {`,
        ...HEAD.map(member),
        `}`,
      );
      i += HEAD.length - 1;
    } else if (startsWith(keys, i, FRAME)) {
      code.push(
        `if (typeof o.filename === 'string' && typeof o.function === 'string' && typeof o.lineno === 'number') {`,
        `v = f(o.filename, o.function, o.lineno); s += s.length > 1 ? v : v.slice(1);`,
        `} else {`,
        ...FRAME.map(member),
        `}`,
      );
      i += FRAME.length - 1;
    } else code.push(member(keys[i]));
  }
  return new Function('o', 'j', 'h', 'f', `let s = '{', v;\n${code.join('\n')}\nreturn s;`) as Writer;
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
  return layoutOf(value).write(value, valueJson, headJson, frameJson);
}

/** `{...event, ...extra}` as one JSON line (without the newline); extra's keys are not the event's. */
export function eventJson(event: object, extra?: object): string {
  const s = fields(event);
  if (!extra) return s + '}';
  const more = fields(extra);
  return s + (more.length > 1 ? (s.length > 1 ? ',' : '') + more.slice(1) : '') + '}';
}

/**
 * The event's JSON line with `closing` added: JSON members starting with a
 * comma, then "}" and the newline, as one kept piece (no object to build per
 * event, and one piece for the rope rather than three).
 */
export function eventLineWith(event: object, closing: string): string {
  const s = fields(event);
  return s.length > 1 ? s + closing : s + closing.slice(1);
}
