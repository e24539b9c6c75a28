/**
 * pprof's profile.proto, encoded by pprof-format and gzipped by the caller:
 * what `go tool pprof`, Pyroscope and Grafana read. One location per distinct
 * frame (function and line), one function per distinct (name, file, def
 * line), one sample per thread's distinct stack (leaf first, as pprof wants)
 * with the thread's id, name and process id as labels.
 *
 * Value types: a sampled profile counting samples with a known period gives
 * both samples/count and cpu/nanoseconds (count x period), period_type
 * cpu/nanoseconds; an exact profile of nanoseconds gives its own type
 * (wall/nanoseconds, cpu/nanoseconds) with a period of 1 ns.
 */
import {
  Function as PprofFunction,
  Label,
  Line,
  Location,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { StackFrame, StackProfile } from './stacks';

export interface PprofOptions {
  /** What the period of a sampled profile measures: "cpu" (the default) or "wall". */
  sampledTime?: 'cpu' | 'wall';
  /** When the profile began, in ns since the epoch (pprof's time_nanos). */
  timeNanos?: number;
  /** How long it covers, in ns. */
  durationNanos?: number;
}

/** The profile as pprof-format's Profile, not yet encoded. */
export function pprofProfile(profile: StackProfile, options: PprofOptions = {}): Profile {
  const strings = new StringTable();
  const type = (t: string, unit: string) => new ValueType({ type: strings.dedup(t), unit: strings.dedup(unit) });
  const kind = profile.kind;
  const period = profile.periodNs;
  const timeType = options.sampledTime ?? 'cpu';
  // With a period, each counted sample also stands for `period` ns.
  const withTime = kind.unit === 'count' && period !== undefined && period > 0;
  const sampleType = [type(kind.type, kind.unit)];
  if (withTime) sampleType.push(type(timeType, 'nanoseconds'));
  const periodType = withTime ? type(timeType, 'nanoseconds') : type(kind.type, kind.unit);

  const functions: PprofFunction[] = [];
  const functionIds = new Map<string, number>();
  const functionOf = (f: StackFrame): number => {
    const start = f.firstLineno ?? 0;
    const key = `${start}\u0000${f.function}\u0000${f.filename}`;
    let id = functionIds.get(key);
    if (id === undefined) {
      id = functions.length + 1;
      functionIds.set(key, id);
      // No system name: Python has no mangled one, and pprof demangles a system name equal to the
      // name, which turns <module>, <listcomp> and <lambda> into "<unknown>".
      const name = strings.dedup(f.function);
      functions.push(new PprofFunction({ id, name, filename: strings.dedup(f.filename), startLine: start }));
    }
    return id;
  };
  // Location ids are frame ids + 1 (0 is not an id in pprof).
  const location = profile
    .frames()
    .map((f, i) => new Location({ id: i + 1, line: [new Line({ functionId: functionOf(f), line: f.lineno })] }));

  const keys = { pid: strings.dedup('pid'), tid: strings.dedup('thread_id'), name: strings.dedup('thread_name') };
  const sample: Sample[] = [];
  for (const t of profile.threadsById()) {
    const label = [new Label({ key: keys.pid, num: t.thread.pid }), new Label({ key: keys.tid, num: t.thread.tid })];
    if (t.thread.name !== undefined) label.push(new Label({ key: keys.name, str: strings.dedup(t.thread.name) }));
    for (const s of t.stacks) {
      const locationId = new Array<number>(s.ids.length);
      for (let i = 0; i < s.ids.length; i++) locationId[i] = s.ids[s.ids.length - 1 - i] + 1;
      const value = withTime ? [s.value, s.value * period] : [s.value];
      sample.push(new Sample({ locationId, value, label }));
    }
  }
  return new Profile({
    sampleType,
    sample,
    location,
    function: functions,
    stringTable: strings,
    periodType,
    period: withTime ? period : 1,
    timeNanos: options.timeNanos ?? 0,
    durationNanos: options.durationNanos ?? 0,
    defaultSampleType: withTime ? sampleType[1].type : 0,
  });
}

/** The profile encoded (not gzipped). */
export function encodePprof(profile: StackProfile, options: PprofOptions = {}): Uint8Array {
  return pprofProfile(profile, options).encode();
}
