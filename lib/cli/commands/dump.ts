/** pytrace dump PID: every thread's Python stack now, running or blocked. */
import { dump, DumpedThread } from '../../api/dump';
import { Command, exactlyOne, parse, parsePid } from '../args';
import { printable } from '../escape';
import { printHelp, toJson, writeAll } from '../output';

const help = `Usage: pytrace dump [options] PID

Prints the Python stack of every thread of process PID as it is now, whether
the thread runs or is blocked (in a lock, a read, a sleep): where a hung
process hangs. Innermost frame first, as in a traceback read bottom-up. Works
on CPython 3.9 to 3.15, with or without markers; the process is not paused.

Options:
  --json      one JSON object per thread (NDJSON): pid, tid, name, status,
              frames [{function, filename, lineno}], innermost first
  -h, --help  this help`;

const STATUS_TEXT: Record<DumpedThread['status'], string> = {
  ok: '',
  'not-python': 'no Python thread state (a thread Python does not run)',
  'no-frames': 'no Python frame (idle)',
  unreadable: 'its memory could not be read',
  'not-code': 'its frames did not hold code objects',
  'stale-frame': 'its frames were changing as they were read (try again)',
};

function text(t: DumpedThread): string {
  const ids = t.nsTid !== undefined ? `${t.tid} (${t.nsTid} in its namespace)` : String(t.tid);
  const head = `Thread ${ids}${t.name !== undefined ? ` "${printable(t.name)}"` : ''}${t.truncated ? ' (stack cut)' : ''}`;
  if (t.status !== 'ok') return `${head}: ${STATUS_TEXT[t.status]}\n`;
  const lines = t.frames.map((f) => `    ${printable(f.function)} (${printable(f.filename)}:${f.lineno ?? '?'})`);
  return `${head}\n${lines.join('\n')}\n`;
}

export const dumpCommand: Command = {
  name: 'dump',
  summary: "print every thread's Python stack now (running or blocked)",
  help,
  async run(argv) {
    const { values, positionals, help: wantsHelp } = parse('dump', argv, { json: { type: 'boolean' } });
    if (wantsHelp) return printHelp(help);
    const pid = parsePid('dump', exactlyOne('dump', positionals, 'PID'));
    const threads = await dump(pid);
    if (values.json)
      writeAll(
        1,
        threads
          .map(
            (t) =>
              toJson({
                ...t,
                frames: t.frames.map((f) => ({ function: f.function, filename: f.filename, lineno: f.lineno })),
              }) + '\n',
          )
          .join(''),
      );
    else writeAll(1, threads.map(text).join('\n'));
    return 0;
  },
};
