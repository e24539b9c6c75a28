/** pytrace describe PID|PATH: what a Python build can give, event by event. */
import { Description, describe as describeProcess, describeBinary, EVENT_NAMES } from '../../index';
import { markerOf } from '../../markers';
import { assertTraceable } from '../../discovery/describe';
import { Command, exactlyOne, parse } from '../args';
import { printable } from '../escape';
import { Output, printHelp } from '../output';
import { markerObjectOf } from '../../discovery/binaries';

const help = `Usage: pytrace describe PID|PATH [--json]

Tells what process PID (or the Python binary or libpython at PATH) can give:
its Python version, where its markers are (the executable, or a shared
libpython), and per event whether it fires, and why not or what pytrace does
to make it fire (CPython 3.11 fires function-entry only while the line
marker's semaphore is raised; 3.12 to 3.14 have no call or line markers).
Events that fire are traced by default (attach() without events), except
line: it fires on every line the program runs and slows it several times, so
it is traced only when named (pytrace lines). --json marks each event's
"default".

Options:
  --json       the description as one JSON object
  -h, --help   this help

Exit status: 0 for a Python with markers, 1 when it has none (the message
says which builds carry them) or on another pytrace error, 2 on bad usage.`;

/** A PID, or a path: a program embedding CPython is described through the libpython it links. */
export function describeTarget(target: string): { d: Description; via?: string } {
  if (/^\d+$/.test(target)) return { d: describeProcess(Number(target)) };
  const object = markerObjectOf(target);
  return { d: describeBinary(object), via: object === target ? undefined : target };
}

const NOT_DEFAULT =
  "Not traced by default (it slows the program several times): only when named (pytrace lines, run --mode lines, events: ['line']).";

function status(d: Description, e: (typeof EVENT_NAMES)[number]): string {
  const a = d.events[e];
  return a.fires ? 'fires' : a.available ? 'silent' : 'missing';
}

export function printDescription(out: Output, d: Description, via?: string): void {
  if (d.pid !== null) out.line(`process ${d.pid}: ${printable(d.executable)}`);
  else
    out.line(
      via ? `binary: ${printable(via)}, linking ${printable(d.executable)}` : `binary: ${printable(d.executable)}`,
    );
  out.line(`version: ${d.version ? 'Python ' + d.version : 'unknown'}`);
  const kind = d.locations[0]?.shared ? 'shared library' : 'executable';
  out.line(
    `build: ${d.build === 'none' ? 'no markers' : `markers in the ${kind} ${printable(d.markerObject ?? '')} (${d.locations.length} locations)`}`,
  );
  out.line('events:');
  for (const e of EVENT_NAMES) {
    const a = d.events[e];
    const note = [a.note, a.fires && !a.default ? NOT_DEFAULT : undefined].filter(Boolean).join(' ');
    out.line(
      `  ${e.padEnd(24)} ${markerOf(e).marker.padEnd(27)} ${status(d, e).padEnd(8)}${note ? ' ' + printable(note) : ''}`.trimEnd(),
    );
  }
}

export const describeCommand: Command = {
  name: 'describe',
  summary: 'the Python version, build, and which events fire and why',
  help,
  async run(argv) {
    const { values, positionals, help: wantsHelp } = parse('describe', argv, { json: { type: 'boolean' } });
    if (wantsHelp) return printHelp(help);
    const { d, via } = describeTarget(exactlyOne('describe', positionals, 'PID or PATH'));
    const out = new Output();
    if (values.json) {
      const { locations, ...rest } = d;
      out.json({ type: 'description', ...rest, ...(via ? { linkedFrom: via } : {}), locations: locations.length });
    } else printDescription(out, d, via);
    await out.drained();
    // Not traceable: say why, and which builds are, with the library's words and code.
    assertTraceable(d);
    return 0;
  },
};
