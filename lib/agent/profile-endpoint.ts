/**
 * /profile?seconds=N[&pid=P]: the stacks sampled in the next N seconds, as
 * pprof (gzipped protobuf), in the shape of Go's net/http/pprof profile
 * endpoint, so `go tool pprof URL` and pprof-reading backends fetch it as is.
 * Without pid: every Python process watched, each sampled on its own.
 */
import * as http from 'http';
import { promisify } from 'util';
import { gzip } from 'zlib';
import { profile, Profile } from '../api/profile';
import { encodePprof } from '../profile/pprof';
import { StackProfile } from '../profile/stacks';

const gzipped = promisify(gzip);

/** As net/http/pprof: 30 s unless asked; more than an hour is surely a mistake. */
export const DEFAULT_SECONDS = 30;
const MAX_SECONDS = 3600;

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface ProfileRequest {
  seconds: number;
  pid?: number;
}

export function parseProfileQuery(query: URLSearchParams): ProfileRequest {
  const seconds = query.get('seconds');
  const pid = query.get('pid');
  const out: ProfileRequest = { seconds: DEFAULT_SECONDS };
  if (seconds !== null) {
    const n = Number(seconds);
    if (seconds === '' || !Number.isFinite(n) || n <= 0 || n > MAX_SECONDS)
      throw new BadRequest(`seconds must be a number of seconds in (0, ${MAX_SECONDS}], not "${seconds}"`);
    out.seconds = n;
  }
  if (pid !== null) {
    if (!/^[1-9]\d*$/.test(pid)) throw new BadRequest(`pid must be a process id, not "${pid}"`);
    out.pid = Number(pid);
  }
  return out;
}

/**
 * Samples `pids` for `seconds` at `hz` and returns the gzipped pprof. A
 * process that cannot be sampled is reported to `failed` and left out; when
 * none can, the first failure is thrown.
 */
export async function sampledPprof(
  pids: number[],
  seconds: number,
  hz: number,
  failed: (pid: number, error: unknown) => void,
): Promise<Buffer> {
  const startedAt = Date.now();
  const profiles: Profile[] = [];
  let firstError: unknown;
  await Promise.all(
    pids.map(async (pid) => {
      try {
        const p = await profile(pid, { hz, duration: seconds });
        profiles.push(p);
      } catch (e) {
        firstError ??= e;
        failed(pid, e);
      }
    }),
  );
  if (!profiles.length && firstError) throw firstError;
  // Each closes by itself after `seconds` (or when its process exits).
  await Promise.all(profiles.map((p) => (p.closed ? undefined : new Promise<void>((r) => p.once('close', () => r())))));
  const merged = new StackProfile({ type: 'samples', unit: 'count' }, 1e9 / hz);
  for (const p of profiles)
    for (const t of p.stacks().threads()) for (const s of t.stacks) merged.add(t.thread, s.frames, s.value);
  const encoded = encodePprof(merged, { timeNanos: startedAt * 1e6, durationNanos: (Date.now() - startedAt) * 1e6 });
  return gzipped(encoded);
}

export function sendPprof(res: http.ServerResponse, body: Buffer): void {
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': 'attachment; filename="profile"',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': body.length,
  });
  res.end(body);
}
