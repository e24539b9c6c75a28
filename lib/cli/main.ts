#!/usr/bin/env node
/** pytrace: trace live CPython processes through their markers, from the command line. */
import * as fs from 'fs';
import * as path from 'path';
import { PytraceError } from '../index';
import { CliError, Command, UsageError } from './args';
import { audit } from './commands/audit';
import { calls } from './commands/calls';
import { describeCommand } from './commands/describe';
import { gc } from './commands/gc';
import { imports } from './commands/imports';
import { lines } from './commands/lines';
import { list } from './commands/list';
import { dumpCommand } from './commands/dump';
import { record } from './commands/record';
import { run } from './commands/run';
import { top } from './commands/top';
import { serveCommand } from './commands/serve';
import { printable } from './escape';
import { writeAll } from './output';
import { CommandNotFound } from './resolve';

const COMMANDS: Command[] = [
  list,
  describeCommand,
  calls,
  lines,
  gc,
  imports,
  audit,
  top,
  run,
  record,
  dumpCommand,
  serveCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: pytrace COMMAND [options]',
    '',
    'Traces live CPython processes through their static markers (USDT), with BPF.',
    'Needs root, or CAP_BPF and CAP_PERFMON; and a Python built with markers',
    "(Debian's and Ubuntu's /usr/bin/python3.X, Fedora's libpython).",
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'pytrace COMMAND --help' for a command's options. Events print as text,",
    'or with --json as NDJSON (one JSON object per line). In text, characters of',
    'names the traced program chose that a terminal would act on are escaped as',
    'Python writes them (\\x1b, \\n, \\u2028, \\\\): one event, one line. NDJSON keeps',
    'every string exact.',
    '',
    "Run 'pytrace --version' for the version.",
    '',
    "Exit status: 0 when the trace ran (run: the command's status), 1 on a pytrace",
    'error ("pytrace: message [CODE]" on stderr), 2 on bad usage.',
  ].join('\n');
}

/** From the package's own package.json (dist/cli/main.js is two levels below it). */
function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string })
    .version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help' || name === 'help') {
    const cmd = COMMANDS.find((c) => c.name === rest[0]);
    writeAll(1, (cmd ? cmd.help : usage()) + '\n');
    return 0;
  }
  if (name === '--version' || name === '-V') {
    writeAll(1, `pytrace ${version()}\n`);
    return 0;
  }
  if (name === undefined) {
    writeAll(2, usage() + '\n');
    return 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown command "${name}"`);
  return cmd.run(rest);
}

function report(e: unknown): number {
  if (e instanceof UsageError) {
    const help = e.command ? `pytrace ${e.command} --help` : 'pytrace --help';
    writeAll(2, `pytrace: ${printable(e.message)}\nTry '${help}'.\n`);
    return 2;
  }
  if (e instanceof PytraceError) {
    writeAll(2, `pytrace: ${printable(e.message)} [${e.code}]\n`);
    return 1;
  }
  if (e instanceof CliError) {
    writeAll(2, `pytrace: ${printable(e.message)}\n`);
    return 1;
  }
  if (e instanceof CommandNotFound) {
    writeAll(2, `pytrace: ${printable(e.message)}\n`);
    return e.exitCode;
  }
  writeAll(2, `pytrace: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => process.exit(report(e)),
);
