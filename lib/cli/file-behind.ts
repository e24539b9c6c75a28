/**
 * Text to a regular file, written behind the thread that makes it: each
 * chunk is encoded into a slot of a ring shared with a writer thread, which
 * writes the slots in order, one write at a time. The kernel's copy into the
 * page cache then overlaps the making of the next chunks. That copy is not
 * small: on a virtual machine whose free memory goes back to the host it
 * cost 0.8-1.6 ns a byte, as much as making NDJSON (measured), against 0.2 ns
 * where pages are warm.
 *
 * A thread of its own rather than libuv's pool: fs.write's callbacks run
 * only between a Trace's batches, so its buffers came back a batch late.
 * With 3 in flight the JS thread wrote three chunks in four itself; with 16
 * fewer, but those waited behind the pool's writers on the file's lock, a
 * fifth of its time (measured). Memory stays bounded: the
 * ring is SLOTS * SLOT bytes; when it is full the JS thread waits, and goes
 * at the disk's pace. The first error stops the writing; done() reports it.
 * Writes are in order, so the file then ends where the failure was.
 */
import { Worker } from 'worker_threads';
import * as fs from 'fs';

const SLOTS = 16;
/** Bytes a slot holds: the UTF-8 of Output's 64 Ki-character chunks (up to 3 bytes each) fits. */
const SLOT = 256 << 10;
/** Control words: slots filled, slots written (both counting up, wrapping), a close request, a failure. */
const FILLED = 0;
const WRITTEN = 1;
const CLOSE = 2;
const FAILED = 3;

/** The writer thread: waits for filled slots, writes each in order, says when one is written. */
const WRITER = `
const { workerData, parentPort } = require('worker_threads');
const fs = require('fs');
const { fd, ring, control, lengths, slots, slot } = workerData;
const ctl = new Int32Array(control);
const len = new Int32Array(lengths);
const bytes = Buffer.from(ring);
let written = 0;
for (;;) {
  const filled = Atomics.load(ctl, ${FILLED});
  if (filled === written) {
    if (Atomics.load(ctl, ${CLOSE})) break;
    Atomics.wait(ctl, ${FILLED}, filled, 1000);
    continue;
  }
  const i = (written >>> 0) % slots, n = len[i];
  try {
    for (let at = 0; at < n; ) at += fs.writeSync(fd, bytes, i * slot + at, n - at);
  } catch (e) {
    parentPort.postMessage({ message: e.message });
    Atomics.store(ctl, ${FAILED}, 1);
    Atomics.notify(ctl, ${WRITTEN});
    break;
  }
  written = (written + 1) | 0;
  Atomics.store(ctl, ${WRITTEN}, written);
  Atomics.notify(ctl, ${WRITTEN});
}
`;

export class FileBehind {
  private ring = new SharedArrayBuffer(SLOTS * SLOT);
  private control = new Int32Array(new SharedArrayBuffer(4 * 4));
  private lengths = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  private slotViews: Buffer[] = [];
  private filled = 0;
  private worker: Worker | null = null;
  private exited: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(private fd: number) {
    for (let i = 0; i < SLOTS; i++) this.slotViews.push(Buffer.from(this.ring, i * SLOT, SLOT));
  }

  /** Whether `fd` is a regular file (not a pipe, a terminal or a device): one that is worth writing behind. */
  static suits(fd: number): boolean {
    try {
      return fs.fstatSync(fd).isFile();
    } catch {
      return false;
    }
  }

  /** Set once a write failed: nothing more is written. */
  get failed(): Error | null {
    if (!this.failure && Atomics.load(this.control, FAILED)) this.failure = new Error('write failed');
    return this.failure;
  }

  write(text: string): void {
    if (this.failed || !text.length) return;
    if (text.length * 3 <= SLOT) return this.fill((view) => view.write(text, 0, 'utf8'));
    // Larger than a slot (one very long line): its bytes, a slot at a time.
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length && !this.failed; at += SLOT) {
      const piece = bytes.subarray(at, at + SLOT);
      this.fill((view) => piece.copy(view));
    }
  }

  /** Resolves when everything is written and the writer has stopped; rejects with the first failure. */
  async done(): Promise<void> {
    if (this.worker) {
      Atomics.store(this.control, CLOSE, 1);
      Atomics.notify(this.control, FILLED);
      this.worker.ref();
      await this.exited;
    }
    if (this.failed) throw this.failure;
  }

  /** Waits for a free slot, lets `encode` fill it, and hands it to the writer. */
  private fill(encode: (view: Buffer) => number): void {
    this.start();
    for (;;) {
      const written = Atomics.load(this.control, WRITTEN);
      if (this.failed) return;
      if (((this.filled - written) | 0) < SLOTS) break;
      Atomics.wait(this.control, WRITTEN, written, 1000); // the ring is full: the disk's pace
    }
    const i = (this.filled >>> 0) % SLOTS;
    this.lengths[i] = encode(this.slotViews[i]);
    this.filled = (this.filled + 1) | 0;
    Atomics.store(this.control, FILLED, this.filled);
    Atomics.notify(this.control, FILLED);
  }

  private start(): void {
    if (this.worker) return;
    const w = new Worker(WRITER, {
      eval: true,
      workerData: {
        fd: this.fd,
        ring: this.ring,
        control: this.control.buffer,
        lengths: this.lengths.buffer,
        slots: SLOTS,
        slot: SLOT,
      },
    });
    // Not what keeps the process alive: an output never drained (a command that failed) must not hang it.
    w.unref();
    w.on('message', (m: { message: string }) => {
      this.failure = new Error(m.message);
    });
    this.exited = new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.once('error', (e) => {
        this.failure ??= e;
        resolve();
      });
    });
    this.worker = w;
  }
}
