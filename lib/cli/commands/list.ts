/** pytrace list PID|PATH: every marker location, as `dtrace -l` and `readelf -n` show them together. */
import { ArgOperand, ProbeLocation, probes } from '../../index';
import { assertTraceable } from '../../discovery/describe';
import { Command, exactlyOne, parse } from '../args';
import { printable } from '../escape';
import { hex, note, Output, printHelp } from '../output';
import { linkedLibpython } from '../../discovery/binaries';
import { describeTarget } from './describe';

const help = `Usage: pytrace list PID|PATH [--all] [--json]

Lists every marker location of process PID (in every object it maps) or of the
ELF file at PATH (and of the libpython it links, if any): provider and name,
the location's address after the .stapsdt.base adjustment and the file offset
where the uprobe goes, the note's base, the semaphore's address and file
offset (and its address in the process), and the arguments as the note writes
them and as pytrace reads them. Only provider "python" unless --all.

Options:
  --all        every provider (libc's, ...), not only "python"
  --json       one JSON object per location (NDJSON)
  -h, --help   this help

Exit status: 0 when python markers were listed, 1 when there are none (not a
Python, or one built without markers: the message says which builds carry
them) or on another pytrace error, 2 on bad usage.`;

const reg = (loc: ProbeLocation, r: string) => (loc.arch === 'x86_64' ? '%' + r : r);
const signed = (n: number) => (n < 0 ? `- ${-n}` : `+ ${n}`);

/** An operand in words: where the BPF program will read the value. */
export function explainOperand(loc: ProbeLocation, a: ArgOperand): string {
  const what = `${a.size} byte${a.size === 1 ? '' : 's'}, ${a.float ? 'float' : a.signed ? 'signed' : 'unsigned'}`;
  const o = a.operand;
  switch (o.form) {
    case 'register':
      return `${what}, register ${reg(loc, o.register)}`;
    case 'memory':
      return `${what}, memory at ${reg(loc, o.base)} ${signed(o.offset)}`;
    case 'indexed':
      return `${what}, memory at ${reg(loc, o.base)} + ${reg(loc, o.index)}*${o.scale} ${signed(o.offset)}`;
    case 'constant':
      return `${what}, constant ${o.value}`;
    case 'rip-relative':
      return `${what}, memory at ${printable(o.symbol)} ${signed(o.offset)} (symbol at ${hex(loc.symbols[o.symbol])})`;
  }
}

function printLocation(out: Output, loc: ProbeLocation): void {
  out.line(`  ${printable(loc.provider)}:${printable(loc.name)}`);
  const adjusted = loc.baseAdjustment ? ` (adjusted by ${hex(loc.baseAdjustment, 0)})` : '';
  out.line(`    Location: ${hex(loc.address)}, Base: ${hex(loc.base)}, Semaphore: ${hex(loc.semaphore)}${adjusted}`);
  const inProcess =
    loc.semaphoreAddress !== undefined ? `, semaphore in the process at ${hex(loc.semaphoreAddress, 0)}` : '';
  out.line(`    File offsets: location ${hex(loc.offset, 0)}, semaphore ${hex(loc.semaphoreOffset, 0)}${inProcess}`);
  out.line(`    Arguments: ${printable(loc.argsText)}`);
  loc.args.forEach((a, i) => out.line(`      arg${i + 1}: ${printable(a.text).padEnd(14)} ${explainOperand(loc, a)}`));
}

function locationJson(loc: ProbeLocation): object {
  return {
    provider: loc.provider,
    name: loc.name,
    path: loc.path,
    shared: loc.shared,
    address: loc.address,
    offset: loc.offset,
    base: loc.base,
    baseAdjustment: loc.baseAdjustment,
    semaphore: loc.semaphore,
    semaphoreOffset: loc.semaphoreOffset,
    semaphoreAddress: loc.semaphoreAddress,
    arguments: loc.argsText,
    args: loc.args.map((a) => ({ text: a.text, size: a.size, signed: a.signed, float: a.float, ...a.operand })),
    arch: loc.arch,
  };
}

/** The locations of a process, or of a file and the libpython it links. */
function locationsOf(target: string): ProbeLocation[] {
  if (/^\d+$/.test(target)) return probes(Number(target));
  const own = probes(target);
  if (own.some((l) => l.provider === 'python')) return own;
  const lib = linkedLibpython(target);
  if (!lib) return own;
  note(`${target} has no python markers of its own: they are in the libpython it links, ${lib}`);
  return [...own, ...probes(lib)];
}

export const list: Command = {
  name: 'list',
  summary: 'every marker location of a process or binary',
  help,
  async run(argv) {
    const {
      values,
      positionals,
      help: wantsHelp,
    } = parse('list', argv, { all: { type: 'boolean' }, json: { type: 'boolean' } });
    if (wantsHelp) return printHelp(help);
    const target = exactlyOne('list', positionals, 'PID or PATH');
    const all = locationsOf(target);
    const shown = values.all ? all : all.filter((l) => l.provider === 'python');
    const out = new Output();
    if (values.json) for (const loc of shown) out.json(locationJson(loc));
    else {
      for (const object of [...new Set(shown.map((l) => l.path))]) {
        const here = shown.filter((l) => l.path === object);
        out.line(
          `${printable(object)} (${here[0].shared ? 'shared object' : 'executable'}): ${here.length} location${here.length === 1 ? '' : 's'}`,
        );
        for (const loc of here) printLocation(out, loc);
      }
    }
    await out.drained();
    if (!all.some((l) => l.provider === 'python')) {
      // No python markers: the library's verdict says whether it is a Python at all, and which builds have them.
      assertTraceable(describeTarget(target).d);
      note(`${target} has no python markers`);
      return 1;
    }
    return 0;
  },
};
