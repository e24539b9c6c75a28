/**
 * Reads a thread's Python frames through /proc/PID/mem with a PythonLayout,
 * as the BPF walker will in the kernel: the tests' check that each layout
 * matches its interpreter. (The library's walker is the BPF program.)
 */
import { NONE } from '../../lib/sampling/layout';
import { TargetMemory } from '../../lib/sampling/memory';
import { PythonRuntime } from '../../lib/sampling/runtime';
import { instructionOffset } from '../../lib/sampling/symbols';

export interface WalkedFrame {
  code: bigint;
  offset: number;
}

export interface ThreadIds {
  /** The kernel's tid (3.11+ keep it in the thread state). */
  native: number;
  /** pthread_self(), threading.get_ident(). */
  ident: bigint;
}

/** Every thread state of every interpreter: [thread state address, its ids]. */
export function threadStates(
  runtime: PythonRuntime,
  memory: TargetMemory,
): { address: bigint; native: number; ident: bigint }[] {
  const l = runtime.layout;
  const out = [];
  for (let interp = memory.u64(runtime.runtimeAddress + BigInt(l.runtime.interpretersHead)); interp;) {
    for (let t = memory.u64(interp + BigInt(l.interpreter.threadsHead)); t; t = memory.u64(t + BigInt(l.thread.next))) {
      const native = l.thread.nativeThreadId === NONE ? -1 : Number(memory.u64(t + BigInt(l.thread.nativeThreadId)));
      out.push({ address: t, native, ident: memory.u64(t + BigInt(l.thread.threadId)) });
      if (out.length > 10000) throw new Error('thread list does not end');
    }
    interp = memory.u64(interp + BigInt(l.interpreter.next));
  }
  return out;
}

/** The Python frames of the thread with these ids, innermost first. */
export function walkThread(runtime: PythonRuntime, memory: TargetMemory, ids: ThreadIds): WalkedFrame[] {
  const l = runtime.layout;
  const byNative = l.thread.nativeThreadId !== NONE;
  const thread = threadStates(runtime, memory).find((t) =>
    byNative ? t.native === ids.native : t.ident === ids.ident,
  );
  if (!thread)
    throw new Error(`no thread state for ${JSON.stringify({ native: ids.native, ident: String(ids.ident) })}`);
  let frame = memory.u64(thread.address + BigInt(l.thread.frame));
  if (l.thread.cframeCurrentFrame !== NONE) frame = memory.u64(frame + BigInt(l.thread.cframeCurrentFrame));
  const out: WalkedFrame[] = [];
  const tagMask = ~BigInt(l.frame.codeTagBits);
  for (; frame; frame = memory.u64(frame + BigInt(l.frame.previous))) {
    if (out.length > 1000) throw new Error('frame chain does not end');
    if (l.frame.owner !== NONE && l.frame.notPythonOwner !== NONE) {
      const owner = memory.read(frame + BigInt(l.frame.owner), 1)[0];
      if (owner >= l.frame.notPythonOwner) continue; // a C-stack / interpreter shim frame
    }
    const code = memory.u64(frame + BigInt(l.frame.code)) & tagMask;
    const raw =
      l.frame.instructionKind === 'pointer'
        ? memory.u64(frame + BigInt(l.frame.instruction))
        : BigInt(memory.i32(frame + BigInt(l.frame.instruction)));
    out.push({ code, offset: instructionOffset(l, raw, code) });
  }
  return out;
}
