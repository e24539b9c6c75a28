/**
 * An emitter's events from now until its 'close', as an async iterator: what
 * Trace.batches() and a Profile's iterator share. Listening starts at the
 * call, not at the first next(), so nothing in between is missed.
 */
import { EventEmitter } from 'events';

export function untilClose<A extends unknown[], T>(
  emitter: EventEmitter,
  event: string,
  closed: boolean,
  item: (...args: A) => T,
): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = closed;
  const onEvent = (...args: A) => {
    queue.push(item(...args));
    wake?.();
  };
  const onClose = () => {
    done = true;
    wake?.();
  };
  emitter.on(event, onEvent);
  emitter.once('close', onClose);
  return (async function* () {
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (done) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      emitter.off(event, onEvent);
      emitter.off('close', onClose);
    }
  })();
}
