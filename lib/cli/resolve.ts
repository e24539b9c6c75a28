/**
 * From what the user typed to the object holding the markers: a command found
 * on PATH, through "#!" lines (env included) to an ELF interpreter, and from
 * an executable that embeds CPython to the libpython it links.
 */
import * as fs from 'fs';
import * as path from 'path';

export class CommandNotFound extends Error {
  constructor(
    message: string,
    /** 127 when nothing is there, 126 when it cannot be run: as shells say. */
    readonly exitCode: 126 | 127,
  ) {
    super(message);
  }
}

function isExecutableFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile() && (fs.accessSync(p, fs.constants.X_OK), true);
  } catch {
    return false;
  }
}

/** As execvp looks it up: a name with a slash is a path, others are searched in PATH. */
export function which(name: string, envPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | null {
  if (name.includes('/')) return fs.existsSync(name) ? name : null;
  for (const dir of envPath.split(':')) {
    const p = path.join(dir || '.', name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

/** "#!/usr/bin/env -S python3 -u" -> ["/usr/bin/env", "-S python3 -u"]; null without "#!". */
function shebang(file: string): [string, string] | null {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(256);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    const text = b.toString('latin1', 0, n);
    if (!text.startsWith('#!')) return null;
    const line = text.slice(2).split('\n')[0].trim();
    const m = /^(\S+)\s*(.*)$/.exec(line);
    return m ? [m[1], m[2].trim()] : null;
  } finally {
    fs.closeSync(fd);
  }
}

export interface Resolved {
  /** The file exec runs first (a script's path, or the binary). */
  file: string;
  /** The ELF interpreter that ends up running, after "#!" lines. */
  binary: string;
  /** How we got there, for messages: "x.py runs /usr/bin/python3.11". */
  chain: string[];
}

/** Follows a command to the ELF binary the kernel will run for it. */
export function resolveCommand(command: string): Resolved {
  const file = which(command);
  if (!file) throw new CommandNotFound(`${command}: command not found`, 127);
  if (!isExecutableFile(file)) throw new CommandNotFound(`${file}: not an executable file`, 126);
  const chain = [file];
  let current = file;
  for (let depth = 0; depth < 5; depth++) {
    const sb = shebang(current);
    if (!sb) return { file, binary: current, chain };
    const [named, arg] = sb;
    let interp = named;
    if (path.basename(interp) === 'env') {
      // env [-S] [-i] [NAME=VALUE...] PROGRAM: the program is looked up in PATH.
      const words = arg.split(/\s+/).filter((w) => w && !w.startsWith('-') && !w.includes('='));
      if (!words.length) return { file, binary: interp, chain: [...chain, interp] };
      const found = which(words[0]);
      if (!found) throw new CommandNotFound(`${file}: its "#!" line runs ${words[0]}, which is not on PATH`, 127);
      interp = found;
    }
    chain.push(interp);
    current = interp;
  }
  return { file, binary: current, chain };
}
