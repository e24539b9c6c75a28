/**
 * Type-level checks, run by `npm run lint` (tsc over the tests): a listener's
 * argument is typed by the event's name, and a wrong one does not compile.
 */
import type { Trace } from '../../lib/index';

export function listenersAreTyped(trace: Trace): void {
  trace.on('gc-done', (e) => e.collected.toFixed());
  trace.once('function-entry', (e) => e.filename.length + e.lineno);
  trace.on('import-find-load-done', (e) => (e.found ? e.module : ''));
  trace.on('audit', (e) => e.event);
  trace.on('lost', (r) => r.count + r.total);
  trace.on('batch', (buffer, records) => buffer.byteLength + records);
  trace.on('event', (e) => e.type);
  // @ts-expect-error gc-start has a generation, not collected
  trace.on('gc-start', (e) => e.collected);
  // @ts-expect-error no such event
  trace.on('function-entree', () => undefined);
}
