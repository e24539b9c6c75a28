/** What gc, imports, audit and lines share: trace PID, one line per event, a summary at the end. */
import { EventName } from '../index';
import { exactlyOne, parse, parsePid } from './args';
import { Output, printHelp } from './output';
import { EventStats } from './pairing';
import { PlainPrinter } from './printers';
import { pidLabel, runTrace } from './tracing';

export interface OneLineSpec {
  name: string;
  help: string;
  events: EventName[];
  /** Print the event's name (when the command prints several kinds). */
  labels: boolean;
  /** Offer --within FUNC. */
  within?: boolean;
  /** The summary: text lines, and the same as a JSON object. */
  summary?: (stats: EventStats) => { text: string[]; json: object };
}

export async function runOneLine(spec: OneLineSpec, argv: string[]): Promise<number> {
  const options = {
    json: { type: 'boolean' as const },
    ...(spec.within ? { within: { type: 'string' as const } } : {}),
  };
  const { values, positionals, help } = parse(spec.name, argv, options);
  if (help) return printHelp(spec.help);
  const pid = parsePid(spec.name, exactlyOne(spec.name, positionals, 'PID'));
  const json = Boolean(values.json);
  const within = values.within as string | undefined;
  const out = new Output();
  const stats = new EventStats();
  await runTrace({
    target: pid,
    options: { events: spec.events, within },
    out,
    json,
    printer: new PlainPrinter(out, stats, json, spec.labels),
    label: (t) => pidLabel(t) + (within ? `, within ${within}()` : ''),
    summary: spec.summary
      ? (o, trace) => {
          const s = spec.summary!(stats);
          if (json) o.json({ type: 'summary', pid: trace.pid, ...trace.stats(), ...s.json });
          else for (const l of s.text) o.line(l);
        }
      : undefined,
  });
  return 0;
}
