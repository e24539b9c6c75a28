/**
 * npm run bench [-- --quick] [--json] [--calls N] [--runs R] [--python PATH] [--only a,b]
 *
 * pytrace against bpftrace on the same CPython 3.11 workload, then the JS
 * consumer's capacity, latency and memory; prints one table with the targets.
 * Sections: cost, capacity, writers (events to text, NDJSON, Trace Event JSON), profile-writers
 * (profile formats), latency, memory, profile (BPF program time), sampling (against py-spy),
 * agent (pytrace serve's CPU per scrape).
 */
import { execFileSync, spawn } from 'child_process';
import * as os from 'os';
import { describeBinary } from '../lib/discovery/describe';
import { assertPrivileged } from '../lib/api/trace';
import { bpfStatsAvailable, otherTracers } from './bpfstats';
import { Results, render, targets } from './report';
import { untraced } from './workload';
import { WRITER_MEAN_DEPTH, writerSection as profileWriterSection } from './profile-writers';
import { renderSampling, samplingSection, SamplingResults } from './sampling';
import { agentSection, AgentResults, renderAgent } from './agent';
import {
  capacitySection,
  writersSection,
  costSection,
  LongRun,
  longRunSection,
  LowRate,
  lowRateSection,
  profileSection,
  Settings,
} from './suite';

const SECTIONS = [
  'cost',
  'capacity',
  'writers',
  'profile-writers',
  'latency',
  'memory',
  'profile',
  'sampling',
  'agent',
];

interface Args {
  /** Internal: run one section in this process and print its JSON (a fresh tracer process). */
  child?: 'long' | 'lowrate';
  quick: boolean;
  json: boolean;
  calls?: number;
  runs?: number;
  python: string;
  only: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, json: false, python: '/usr/bin/python3.11', only: SECTIONS };
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--quick':
        a.quick = true;
        break;
      case '--json':
        a.json = true;
        break;
      case '--calls':
        a.calls = positive(v(), '--calls');
        break;
      case '--runs':
        a.runs = positive(v(), '--runs');
        break;
      case '--python':
        a.python = v();
        break;
      case '--only':
        a.only = v().split(',');
        break;
      case '--child':
        a.child = v() as Args['child'];
        break;
      case '-h':
      case '--help':
        process.stdout.write(
          'usage: npm run bench -- [--quick] [--json] [--calls N] [--runs R] [--python PATH] [--only ' +
            SECTIONS.join(',') +
            ']\n',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  for (const s of a.only)
    if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(', ')}`);
  return a;
}

function positive(s: string, name: string): number {
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} wants a positive integer`);
  return n;
}

/**
 * Runs a section in a new process of this script: the tracer's memory and
 * latency are then its own, not those of everything measured before.
 */
function inChild<T>(args: Args, section: 'long' | 'lowrate'): Promise<T> {
  const argv = [__filename, '--child', section, '--python', args.python, ...(args.quick ? ['--quick'] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as T);
      else reject(new Error(`the ${section} section failed (exit ${code})`));
    });
  });
}

function toolVersion(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0];
  } catch {
    return 'missing';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  assertPrivileged();
  const d = describeBinary(args.python);
  if (d.version !== '3.11' || !d.markerObject)
    throw new Error(
      `${args.python} must be a CPython 3.11 build with markers (found ${d.version ?? 'unknown version'}, markers: ${d.build})`,
    );
  const bpftrace = toolVersion('bpftrace', ['--version']);
  if (bpftrace === 'missing') throw new Error('bpftrace is needed: it is the peer measured against');
  const log = (line: string) => process.stderr.write(line + '\n');
  const s: Settings = {
    python: args.python,
    markerObject: d.markerObject,
    calls: args.calls ?? (args.quick ? 500_000 : 2_000_000),
    runs: args.runs ?? 3,
    memorySeconds: args.quick ? 10 : 60,
    lowRateSeconds: args.quick ? 3 : 5,
    capacityRecords: args.quick ? 3_000_000 : 8_000_000,
    writerEvents: args.quick ? 2_000_000 : 5_000_000,
    log,
  };
  if (args.child) {
    const r = args.child === 'long' ? await longRunSection(s) : await lowRateSection(s);
    process.stdout.write(JSON.stringify(r));
    return;
  }
  const on = (x: string) => args.only.includes(x);
  const started = Date.now();
  const others = new Set(otherTracers());
  const results: Results = {
    meta: {
      python: s.python,
      pythonVersion: d.version,
      markerObject: s.markerObject,
      calls: s.calls,
      runs: s.runs,
      quick: args.quick,
      node: process.version,
      bpftrace,
      kernel: os.release(),
      cpus: os.cpus().length,
      date: new Date().toISOString(),
      elapsedSeconds: 0,
    },
  };
  if (on('cost')) {
    log(`cost: ${s.calls} calls per run, ${s.runs} interleaved rounds`);
    results.cost = await costSection(s);
  }
  if (on('capacity')) {
    log(`capacity: ${s.capacityRecords} synthetic records per run`);
    results.capacity = await capacitySection(s);
  }
  if (on('writers')) {
    log(`writers: ${s.writerEvents} events per run, to a file`);
    results.writers = await writersSection(s);
  }
  if (on('latency') || on('memory')) {
    log(`latency and memory: ${s.memorySeconds} s at full rate`);
    results.longRun = await inChild<LongRun>(args, 'long');
  }
  if (on('latency')) {
    log(`latency: 1000 events/s for ${s.lowRateSeconds} s`);
    results.lowRate = await inChild<LowRate>(args, 'lowrate');
  }
  if (on('profile')) {
    if (bpfStatsAvailable()) {
      log('profile: one run each with kernel.bpf_stats_enabled=1');
      const base =
        results.cost?.find((r) => r.key === 'untraced')?.medianSeconds ??
        (await untraced(s.python, ['calls', s.calls])).seconds;
      results.profile = await profileSection(
        s,
        ['bt_empty', 'bt_count', 'pt_return', 'pt_entry', 'bt_line_entry'],
        base,
        results.cost,
      );
    } else log('profile: skipped (needs bpftool and a writable kernel.bpf_stats_enabled)');
  }
  if (on('profile-writers')) {
    const stacks = args.quick ? 300_000 : 1_000_000;
    log(`profile writers: ${stacks} distinct stacks`);
    results.meta.writerDepth = WRITER_MEAN_DEPTH;
    results.profileWriters = await profileWriterSection(stacks, s.runs);
  }
  let sampling: SamplingResults | undefined;
  if (on('sampling')) {
    log('sampling: pytrace profile() against py-spy record, 3 s runs');
    sampling = await samplingSection(s.python, args.quick ? 2 : 3, s.runs, log);
  }
  let agent: AgentResults | undefined;
  if (on('agent')) {
    log('agent: pytrace serve with 1, 10, 50 idle Pythons; a busy one with and without it');
    agent = await agentSection(s.python, args.quick ? 300_000 : 1_000_000, s.runs, log);
  }
  results.meta.elapsedSeconds = (Date.now() - started) / 1000;
  for (const name of otherTracers()) others.add(name);
  results.meta.otherTracers = [...others].join(' ') || null;
  results.targets = targets(results);
  if (args.json) process.stdout.write(JSON.stringify({ ...results, sampling, agent }, null, 2) + '\n');
  else
    process.stdout.write(
      (args.only.some((x) => x !== 'sampling' && x !== 'agent') ? render(results) : '') +
        (sampling ? renderSampling(sampling) : '') +
        (agent ? renderAgent(agent) : ''),
    );
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
});
