/**
 * The loop of the top-like views: one refresh per interval until Ctrl-C (or
 * SIGTERM), the reader of the output going away, the watched source closing,
 * or the refresh itself saying it is done.
 */
import type { Output } from './output';

/** A refresh returns true when it was the last one. */
export type Refresh = () => boolean;

export function refreshUntilStopped(
  out: Output,
  intervalSeconds: number,
  refresh: Refresh,
  source?: { once(event: 'close', f: () => void): unknown },
): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      resolve();
    };
    process.on('SIGINT', finish);
    process.on('SIGTERM', finish);
    out.onReaderClosed(finish);
    source?.once('close', finish);
    timer = setInterval(() => {
      if (refresh()) finish();
    }, intervalSeconds * 1000);
  });
}
