/**
 * pytrace record: where a process's time goes, as stack samples
 * (record-sampled.ts); with --exact, every call from the markers as a timeline
 * (lib/cli/record-exact.ts).
 */
import { Command, parse, parsePid, positiveNumber, UsageError } from '../args';
import { printHelp } from '../output';
import { EXACT_HELP, recordExact } from '../record-exact';
import { formatHelp, recordFormat } from '../record-output';
import { ProfileFormat } from '../../profile/formats';
import { recordCommand, recordPid } from './record-sampled';

const help = `Usage: pytrace record [options] PID
       pytrace record [options] -- COMMAND [ARG...]
       pytrace record --exact [options] PID | -- COMMAND [ARG...]

Samples the Python stacks of process PID (or of COMMAND, started for it) in
the kernel, HZ times a second of each thread's CPU time, and writes them as
collapsed stacks (one line per stack: frames outermost first, separated by
";", then the count) for flame graph tools, or as speedscope JSON, pprof
(go tool pprof, Pyroscope) or a flame graph page that opens offline in a
browser. Works on CPython 3.9 to 3.15, with or without markers. Stops on
Ctrl-C, after --duration, or when the process exits.

Options:
  --hz N          samples a second of CPU time (default 99)
  --duration S    stop after S seconds
  --idle          threads off the CPU too (blocked, sleeping), HZ times a second
  --subprocesses  children it forks or execs later join the profile
  -o, --output F  write the stacks to F (default: stdout)
${formatHelp(18)}
  -h, --help      this help

Exit status: 0 (with COMMAND: the command's), 1 on a pytrace error, 2 on bad usage.

With --exact:

${EXACT_HELP}`;

export const record: Command = {
  name: 'record',
  summary: 'sample where a process spends its time (collapsed stacks), or --exact: a timeline of every call',
  help,
  async run(argv) {
    const dash = argv.indexOf('--');
    const own = dash < 0 ? argv : argv.slice(0, dash);
    if (own.includes('--exact')) return recordExact(argv);
    const command = dash < 0 ? [] : argv.slice(dash + 1);
    const {
      values,
      positionals,
      help: wantsHelp,
    } = parse('record', own, {
      hz: { type: 'string' },
      duration: { type: 'string' },
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      subprocesses: { type: 'boolean' },
      idle: { type: 'boolean' },
    });
    if (wantsHelp) return printHelp(help);
    const options = {
      hz: positiveNumber('record', 'hz', values.hz as string | undefined, 99, true),
      duration:
        values.duration === undefined ? undefined : positiveNumber('record', 'duration', values.duration as string, 0),
      output: values.output as string | undefined,
      format: recordFormat(
        false,
        values.format as string | undefined,
        values.output as string | undefined,
      ) as ProfileFormat,
      subprocesses: values.subprocesses === true,
      idle: values.idle === true,
    };
    if (command.length) {
      if (positionals.length) throw new UsageError('give a PID or -- COMMAND, not both', 'record');
      return recordCommand(command, options);
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, 'record');
    return recordPid(parsePid('record', positionals[0]), options);
  },
};
