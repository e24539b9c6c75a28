/**
 * The SDT marker fixtures (test/fixtures/sdt): built on demand into
 * test/fixtures/bin, and a running sdt-fixture process driven over stdin.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Child } from './child';

export const SOURCES = path.resolve(__dirname, '../fixtures/sdt');
export const BIN = path.resolve(__dirname, '../fixtures/bin');
export const OUTPUTS = ['sdt-fixture', 'libsdtfixture.so', 'libothermarkers.so'];

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** Builds the fixtures unless every output is newer than every source; returns their directory. */
export function buildFixtures(): string {
  const newestSource = Math.max(...fs.readdirSync(SOURCES).map((f) => mtime(path.join(SOURCES, f))));
  const oldestOutput = Math.min(...OUTPUTS.map((f) => mtime(path.join(BIN, f))));
  if (oldestOutput <= newestSource) execFileSync('bash', [path.join(SOURCES, 'build.sh'), BIN], { stdio: 'pipe' });
  return BIN;
}

/** A running sdt-fixture: fire() makes it run every marker site `reps` times. */
export class Fixture extends Child {
  readonly exe: string;
  readonly lib: string;

  constructor(reps = 1) {
    const dir = buildFixtures();
    super(path.join(dir, 'sdt-fixture'), [String(reps)]);
    this.exe = path.join(dir, 'sdt-fixture');
    this.lib = path.join(dir, 'libsdtfixture.so');
  }

  /** The next stdout line, which must be `expected`. */
  async expectLine(expected: string, ms = 10000): Promise<void> {
    const line = await this.nextLine(ms);
    if (line !== expected) throw new Error(`sdt-fixture printed "${line}", expected "${expected}"`);
  }

  ready(): Promise<void> {
    return this.expectLine('ready');
  }

  /**
   * Runs every site `reps` times (the count given at start if omitted); resolves once done.
   * `cold`: first drop the library's strings from the process's page tables.
   */
  async fire(reps?: number, cold = false): Promise<void> {
    this.send(`${cold ? 'cold' : 'fire'} ${reps ?? ''}\n`);
    await this.expectLine('done');
  }

  /** Ends the process, whatever state it is in. */
  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}

/** Starts sdt-fixture and waits until it is ready for fire(). */
export async function startFixture(reps = 1): Promise<Fixture> {
  const f = new Fixture(reps);
  try {
    await f.ready();
  } catch (e) {
    await f.stop();
    throw e;
  }
  return f;
}
