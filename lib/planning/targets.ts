/**
 * Planning an attach: from a build's description and the events asked for, to
 * the uprobes to attach. Pure: it reads nothing but its arguments, so it is
 * tested without a kernel or a process.
 */
import { Description } from '../discovery/describe';
import { PytraceError } from '../errors';
import { EVENT_NAMES, EventName, markerOf } from '../markers';
import { NativeTarget } from '../native';
import { isDefaultEvent } from '../api/options';
import { entryAtCreation, generatorCreationTarget } from './generators';
import { auditLayout, codeCreationTarget, semaphoreAnchor, uprobeTarget } from './spec';

/** The events to trace: those asked for (each must be in the build), else the build's defaults. */
export function chooseEvents(d: Description, requested?: EventName[]): EventName[] {
  if (!requested) return EVENT_NAMES.filter((e) => d.events[e].fires && isDefaultEvent(e));
  for (const e of requested) {
    if (!EVENT_NAMES.includes(e))
      throw new PytraceError('PYTRACE_UNKNOWN_EVENT', `Unknown event "${e}". Events: ${EVENT_NAMES.join(', ')}.`);
    if (!d.events[e].available)
      throw new PytraceError(
        'PYTRACE_MARKER_UNAVAILABLE',
        `${e} cannot be traced in ${d.pid === null ? d.executable : 'process ' + d.pid} (Python ${d.version ?? 'of unknown version'}): ${d.events[e].note} Ask for other events, or run a build that has it.`,
      );
  }
  return [...new Set(requested)];
}

/**
 * The uprobes for `events`. With `within`, entries and returns are attached
 * even if not asked for: the kernel needs them to know when a thread is inside
 * the function (they are then tracked, not sent).
 */
export function targetsFor(
  d: Description,
  events: EventName[],
  within?: string,
  program: 'event' | 'count' = 'event',
): NativeTarget[] {
  const targets: NativeTarget[] = [];
  const attached = new Set<EventName>(events);
  if (within) for (const e of ['function-entry', 'function-return'] as const) attached.add(e);
  for (const e of attached) {
    const marker = markerOf(e);
    for (const loc of d.locations.filter((l) => l.name === marker.marker)) {
      const t = uprobeTarget(loc, marker);
      t.program = program;
      if (!events.includes(e)) t.spec!.trackOnly = true;
      if (e === 'audit') t.audit = auditLayout(loc, d.version);
      targets.push(t);
    }
  }
  // 3.11: entries fire only while the line semaphore is up; raise it without tracing lines.
  if (d.version === '3.11' && attached.has('function-entry') && !attached.has('line')) {
    for (const loc of d.locations.filter((l) => l.name === 'line')) targets.push(semaphoreAnchor(loc));
  }
  return targets;
}

/**
 * Every uprobe of a trace: the markers', and where the build needs them, the
 * code-creation one (frame names are then sent once and then by address: the
 * kernel can tell a reused address, and both transports keep records in
 * order) and
 * the generator-creation one.
 */
export function traceTargets(description: Description, events: EventName[], within: string | undefined) {
  const targets = targetsFor(description, events, within);
  const frames =
    within !== undefined || events.some((e) => e === 'function-entry' || e === 'function-return' || e === 'line');
  const frameLoc =
    frames && description.locations.find((l) => /^(function__entry|function__return|line)$/.test(l.name));
  const codeCreated = frameLoc ? codeCreationTarget(frameLoc) : null;
  if (codeCreated) targets.unshift(codeCreated);
  const pairs = events.includes('function-entry') && events.includes('function-return');
  const creation = pairs && frameLoc && entryAtCreation(description.version) ? generatorCreationTarget(frameLoc) : null;
  if (creation) targets.push(creation);
  return { targets, codeCreated, creation };
}
