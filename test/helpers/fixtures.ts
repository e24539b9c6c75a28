/**
 * The SDT marker fixtures (test/fixtures/sdt): built on demand into
 * test/fixtures/bin, and a running sdt-fixture process driven over stdin.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

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
export class Fixture {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exe: string;
  readonly lib: string;
  private buffered = '';
  private lines: string[] = [];
  private wake: (() => void) | null = null;
  private stderr = '';

  constructor(reps = 1) {
    const dir = buildFixtures();
    this.exe = path.join(dir, 'sdt-fixture');
    this.lib = path.join(dir, 'libsdtfixture.so');
    this.child = spawn(this.exe, [String(reps)], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error(`cannot start ${this.exe}`);
    this.pid = this.child.pid;
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buffered += chunk;
      const parts = this.buffered.split('\n');
      this.buffered = parts.pop()!;
      this.lines.push(...parts);
      this.wake?.();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', () => this.wake?.());
    this.child.stdin!.on('error', () => undefined);
  }

  /** The next stdout line, which must be `expected`. */
  async expectLine(expected: string, ms = 10000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.lines.length) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`sdt-fixture exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`);
      if (Date.now() > end) throw new Error(`sdt-fixture did not print "${expected}" within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.wake = () => (clearTimeout(timer), resolve());
      });
      this.wake = null;
    }
    const line = this.lines.shift();
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
    this.child.stdin!.write(`${cold ? 'cold' : 'fire'} ${reps ?? ''}\n`);
    await this.expectLine('done');
  }

  /** Ends the process, whatever state it is in. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
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
