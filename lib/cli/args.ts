/** Argument parsing shared by the commands (node's util.parseArgs underneath). */
import { parseArgs, ParseArgsConfig } from 'util';

/** Bad usage: exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure outside the library (a file that cannot be written): exit code 1. */
export class CliError extends Error {}

export interface Command {
  name: string;
  /** One line for `pytrace --help`. */
  summary: string;
  /** The full `pytrace NAME --help` text. */
  help: string;
  /** Resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  help: boolean;
}

/** Parses `argv` strictly; unknown options and missing values are usage errors. */
export function parse(command: string, argv: string[], options: Options, positionals = true): Parsed {
  try {
    const { values, positionals: pos } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
    return { values, positionals: pos, help: Boolean(values.help) };
  } catch (e) {
    // parseArgs explains itself well; drop its hint about "--" which rarely applies.
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, '.'), command);
  }
}

export function parsePid(command: string, text: string | undefined): number {
  if (text === undefined) throw new UsageError('missing PID', command);
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`"${text}" is not a PID: pass a positive integer`, command);
  return Number(text);
}

export function exactlyOne(command: string, positionals: string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`, command);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, command);
  return positionals[0];
}

export function positiveNumber(
  command: string,
  name: string,
  text: string | undefined,
  fallback: number,
  integer = false,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} wants a positive ${integer ? 'integer' : 'number'}, not "${text}"`, command);
  return n;
}

export function oneOf<T extends string>(
  command: string,
  name: string,
  text: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text))
    throw new UsageError(`--${name} is one of ${allowed.join(', ')}, not "${text}"`, command);
  return text as T;
}

/** The output format of commands offering --format and its --json shorthand. */
export function formatOption<T extends string>(
  command: string,
  values: Parsed['values'],
  allowed: readonly T[],
  fallback: T,
): T {
  const format = oneOf(command, 'format', values.format as string | undefined, allowed, fallback);
  if (values.json && values.format !== undefined && format !== 'json')
    throw new UsageError(`--json and --format ${format} contradict each other`, command);
  return values.json ? ('json' as T) : format;
}
