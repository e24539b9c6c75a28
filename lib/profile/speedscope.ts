/**
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * the frames shared once, then one "sampled" profile per thread whose samples
 * are the thread's distinct stacks (frame indices, outermost first) and whose
 * weights are their values. Written in pieces: what is held besides the
 * profile is one piece.
 */
import { jsonSafe } from '../cli/escape';
import { StackProfile, StackThread } from './stacks';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

export interface SpeedscopeOptions {
  /** The file's name, shown by the viewer. */
  name?: string;
}

const CHUNK_CHARS = 1 << 16;

/** speedscope's value units: counts are "none". */
function unitOf(profile: StackProfile): 'none' | 'nanoseconds' {
  return profile.kind.unit === 'nanoseconds' ? 'nanoseconds' : 'none';
}

export function threadTitle(t: StackThread): string {
  return t.name === undefined ? `thread ${t.tid} (pid ${t.pid})` : `${t.name} (thread ${t.tid}, pid ${t.pid})`;
}

const json = (v: unknown) => jsonSafe(JSON.stringify(v));

export function* speedscopeChunks(profile: StackProfile, options: SpeedscopeOptions = {}): Generator<string> {
  let out = `{"$schema":${json(SPEEDSCOPE_SCHEMA)},"exporter":"pytrace","name":${json(options.name ?? 'pytrace profile')},"activeProfileIndex":0,"shared":{"frames":[`;
  const frames = profile.frames();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const frame: { name: string; file: string; line?: number } = { name: f.function, file: f.filename };
    if (f.lineno > 0) frame.line = f.lineno;
    out += (i ? ',' : '') + json(frame);
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  out += ']},"profiles":[';
  const unit = unitOf(profile);
  const threads = profile.threadsById();
  for (let ti = 0; ti < threads.length; ti++) {
    const t = threads[ti];
    out += `${ti ? ',' : ''}{"type":"sampled","name":${json(threadTitle(t.thread))},"unit":"${unit}","startValue":0,"endValue":${t.total},"samples":[`;
    for (let i = 0; i < t.stacks.length; i++) {
      out += (i ? ',[' : '[') + t.stacks[i].ids.join(',') + ']';
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
    out += '],"weights":[';
    for (let i = 0; i < t.stacks.length; i++) {
      out += (i ? ',' : '') + t.stacks[i].value;
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
    out += ']}';
  }
  yield out + ']}\n';
}
