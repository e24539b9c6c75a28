/**
 * pytrace record: a trace written to a file for a viewer. --exact records
 * every call from the markers (lib/cli/record-exact.ts); sampled profiles
 * take the other modes.
 */
import { Command, UsageError } from '../args';
import { printHelp } from '../output';
import { EXACT_HELP, recordExact } from '../record-exact';

const help = `Usage: pytrace record --exact [options] PID
       pytrace record --exact [options] -- COMMAND [ARG...]

${EXACT_HELP}`;

export const record: Command = {
  name: 'record',
  summary: 'write a timeline of every call (--exact) for Perfetto or chrome://tracing',
  help,
  async run(argv) {
    const end = argv.indexOf('--');
    const own = end < 0 ? argv : argv.slice(0, end);
    if (own.includes('-h') || own.includes('--help')) return printHelp(help);
    if (own.includes('--exact')) return recordExact(argv);
    throw new UsageError('say what to record: --exact (every call, from the markers)', 'record');
  },
};
