/**
 * Discovery against corrupted copies of real ELF files with stapsdt notes (the
 * checked-in fixtures: one with Python markers, one with another provider's).
 * A fixed seed makes the same variants every run: truncated files, mutated ELF
 * and section header fields, mutated note headers, strings without their NUL,
 * a wrong note owner. Every variant must give the original result exactly, a
 * PytraceError, or the original minus what a warning lists as skipped; never a
 * crash, never other output without a word. Where binutils' readelf calls the
 * notes corrupt, pytrace must say so too.
 *
 * PYTRACE_FUZZ_SEED=N runs other variants; PYTRACE_FUZZ_VERBOSE=1 prints each.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PytraceError } from '../../lib/errors';
import { Discovery, discoverFile, ProbeLocation } from '../../lib/discovery/probes';
import { EHDR, get, put, SHDR, sections, stapsdtNotes } from '../helpers/elf-bytes';

const FIXTURES = path.resolve(__dirname, '../fixtures/elf');
const FILES = ['libsdtfixture.so', 'libothermarkers.so'];
const VARIANTS_PER_FILE = 150;

/** mulberry32: a small seeded generator, so the variants are the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Variant {
  what: string;
  bytes: Buffer;
}

function variants(original: Buffer, count: number, rand: () => number): Variant[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const int = (n: number) => Math.floor(rand() * n);
  const secs = sections(original);
  const notes = stapsdtNotes(original);
  const interesting = secs.filter((s) =>
    [
      '.note.stapsdt',
      '.stapsdt.base',
      '.probes',
      '.symtab',
      '.dynsym',
      '.strtab',
      '.dynstr',
      '.shstrtab',
      '.text',
    ].includes(s.name),
  );
  /** Values that break structures: zero, off by one or a word, doubled, past the end, all ones, random. */
  const values = (orig: bigint, size: number): bigint[] => {
    const max = (1n << BigInt(size * 8)) - 1n;
    return [
      0n,
      orig + 1n,
      orig - 1n,
      orig + 4n,
      orig - 4n,
      orig * 2n,
      BigInt(original.length),
      BigInt(original.length + 1),
      max,
      BigInt(int(1 << 16)),
      BigInt(int(256)),
    ]
      .map((v) => BigInt.asUintN(size * 8, v))
      .filter((v) => v !== orig && v <= max);
  };
  const out: Variant[] = [];
  const kinds = [
    'truncate',
    'ehdr',
    'shdr',
    'shdr',
    'note-header',
    'note-header',
    'note-nul',
    'note-nul',
    'note-owner',
  ] as const;
  while (out.length < count) {
    const b = Buffer.from(original);
    const kind = pick(kinds);
    let what: string;
    if (kind === 'truncate') {
      // Half of them near the notes or the section headers at the end.
      const near = [notes[0].at, sections(original)[0].at, original.length];
      const len = rand() < 0.5 ? int(original.length) : Math.max(0, pick(near) - int(64));
      out.push({ what: `truncated to ${len} bytes`, bytes: b.subarray(0, len) });
      continue;
    } else if (kind === 'ehdr') {
      const [field, [at, size]] = pick(Object.entries(EHDR));
      const v = pick(values(get(b, at, size), size));
      put(b, at, size, v);
      what = `${field} = ${v}`;
    } else if (kind === 'shdr') {
      const s = pick(interesting);
      const [field, [at, size]] = pick(Object.entries(SHDR));
      const v = pick(values(get(b, s.at + at, size), size));
      put(b, s.at + at, size, v);
      what = `${s.name}.${field} = ${v}`;
    } else if (kind === 'note-header') {
      const n = pick(notes);
      const [field, at] = pick([
        ['namesz', 0],
        ['descsz', 4],
        ['type', 8],
      ] as const);
      const orig = get(b, n.at + at, 4);
      const v = pick([...values(orig, 4), 23n, 24n]);
      put(b, n.at + at, 4, v);
      what = `note at ${n.at}: ${field} ${orig} -> ${v}`;
    } else if (kind === 'note-nul') {
      const n = pick(notes);
      const which = int(3);
      b[n.nuls[which]] = 0x41;
      what = `note at ${n.at}: ${['provider', 'name', 'arguments'][which]} without its NUL`;
    } else {
      const n = pick(notes);
      const at = n.at + 12 + int(8);
      b[at] ^= 1 + int(255);
      what = `note at ${n.at}: owner byte ${at - n.at - 12} changed`;
    }
    out.push({ what, bytes: b });
  }
  return out;
}

/** What discovery says about one location, comparably. */
const view = (p: ProbeLocation) =>
  JSON.stringify({ ...p, openPath: undefined, args: p.args.map((a) => a.text) }, (_, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
const key = (p: ProbeLocation) => `${p.provider}:${p.name}@${p.address}`;

type Outcome = 'same' | 'error' | 'warning';

function judge(original: Discovery, file: string, name: string): { outcome: Outcome; detail: string } {
  let got: Discovery;
  try {
    got = discoverFile(file, name);
  } catch (e) {
    if (!(e instanceof PytraceError)) throw new Error(`not a PytraceError: ${String(e)}`, { cause: e });
    expect(['PYTRACE_BAD_ELF', 'PYTRACE_BAD_OPERAND']).toContain(e.code);
    return { outcome: 'error', detail: `${e.code} ${e.message}` };
  }
  const same = got.locations.map(view).join('\n');
  const want = original.locations.map(view).join('\n');
  const known = new Set(original.warnings.map((w) => w.message));
  const added = got.warnings.filter((w) => !known.has(w.message));
  if (same === want && !added.length) return { outcome: 'same', detail: '' };
  // Otherwise: a new warning must say so, and what is left must be the original's, unchanged.
  if (!added.length) throw new Error(`silent difference: ${same} instead of ${want}`);
  const originals = new Map(original.locations.map((p) => [key(p), view(p)]));
  for (const p of got.locations) {
    if (originals.get(key(p)) !== view(p)) throw new Error(`a changed location beside the warning: ${key(p)}`);
  }
  return { outcome: 'warning', detail: added.map((w) => w.message).join(' | ') };
}

/** Whether readelf -n finds the notes corrupt (it warns on stderr, or prints "<corrupt"). */
function readelfComplains(file: string): boolean {
  const r = spawnSync('readelf', ['-n', '--wide', file], { encoding: 'utf8' });
  return /corrupt|warning|error/i.test(
    r.stderr +
      r.stdout
        .split('\n')
        .filter((l) => /corrupt/i.test(l))
        .join('\n'),
  );
}

const haveReadelf = spawnSync('readelf', ['--version']).status === 0;

describe.each(FILES)('%s', (name) => {
  const original = fs.readFileSync(path.join(FIXTURES, name));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-fuzz-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test(`${VARIANTS_PER_FILE} corrupted variants: the original, an error or a warning; never silent`, () => {
    const base = discoverFile(path.join(FIXTURES, name), name);
    expect(base.warnings.length).toBeLessThanOrEqual(1);
    const tally: Record<string, number> = { same: 0, error: 0, warning: 0 };
    const disagreements: string[] = [];
    const rand = random(Number(process.env.PYTRACE_FUZZ_SEED ?? 0x5eed) + name.length);
    variants(original, VARIANTS_PER_FILE, rand).forEach((v, i) => {
      const file = path.join(dir, `variant-${i}.so`);
      fs.writeFileSync(file, v.bytes);
      let r: { outcome: Outcome; detail: string };
      try {
        r = judge(base, file, name);
      } catch (e) {
        throw new Error(`variant ${i} (${v.what}): ${(e as Error).message}`, { cause: e });
      }
      tally[r.outcome]++;
      if (haveReadelf && r.outcome === 'same' && readelfComplains(file)) disagreements.push(`${i}: ${v.what}`);
      if (process.env.PYTRACE_FUZZ_VERBOSE) console.log(i, v.what, r.outcome, r.detail);
    });
    expect(disagreements).toEqual([]);
    // Unchanged results and reported ones both occur: the variants are neither all harmless nor all fatal.
    expect(tally.same).toBeGreaterThan(0);
    expect(tally.error + tally.warning).toBeGreaterThan(VARIANTS_PER_FILE / 2);
    if (process.env.PYTRACE_FUZZ_VERBOSE) console.log(name, tally);
  });
});
