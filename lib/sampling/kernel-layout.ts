/**
 * A PythonLayout as the BPF walker takes it: one struct pt_python_layout
 * (native/bpf/python_layout.h) per profiled process, packed at the offsets
 * the addon exports.
 */
import { PytraceError } from '../errors';
import { layout as native } from '../native';
import { NONE, PythonLayout } from './layout';
import { PythonRuntime } from './runtime';

const P = native.sampling.pythonLayout;
const V = native.sampling.values;

const INSTRUCTION_KIND = {
  'lasti-bytes': V.PT_INSTR_LASTI_BYTES,
  'lasti-units': V.PT_INSTR_LASTI_UNITS,
  pointer: V.PT_INSTR_POINTER,
} as const;

/** The walker takes these from one read of a code object's first PT_CODE_WINDOW bytes. */
function checkCodeWindow(l: PythonLayout, version: string): void {
  const fields: [string, number, number][] = [
    ['ob_type', l.object.type, 8],
    ['co_filename', l.code.filename, 8],
    ['co_name', l.code.name, 8],
    ['co_firstlineno', l.code.firstlineno, 4],
    ['co_nlocalsplus', l.datastack.codeNlocalsplus, 4],
    ['co_stacksize', l.datastack.codeStacksize, 4],
  ];
  for (const [name, offset, size] of fields)
    if (offset !== NONE && offset + size > V.PT_CODE_WINDOW)
      throw new PytraceError(
        'PYTRACE_UNKNOWN_LAYOUT',
        `Python ${version} has ${name} at byte ${offset} of its code objects; the stack walker reads the first ${V.PT_CODE_WINDOW}. This version is not supported for sampling yet.`,
      );
}

/** The bytes of a frame that hold the fields the walker reads: [start, start + length). */
function frameWindow(l: PythonLayout, version: string): { start: number; length: number } {
  const f = l.frame;
  const fields: [number, number][] = [
    [f.previous, 8],
    [f.code, 8],
    [f.instruction, f.instructionKind === 'pointer' ? 8 : 4],
    ...(f.owner === NONE ? [] : ([[f.owner, 1]] as [number, number][])),
  ];
  const start = Math.min(...fields.map(([at]) => at));
  const length = Math.max(...fields.map(([at, size]) => at + size)) - start;
  if (length > V.PT_FRAME_WINDOW)
    throw new PytraceError(
      'PYTRACE_UNKNOWN_LAYOUT',
      `Python ${version} spreads a frame's fields over ${length} bytes; the stack walker reads ${V.PT_FRAME_WINDOW} at once. This version is not supported for sampling yet.`,
    );
  return { start, length };
}

/** The struct pt_python_layout of this process's interpreter. */
export function kernelLayout(runtime: PythonRuntime): Buffer {
  const l = runtime.layout;
  checkCodeWindow(l, runtime.version.text);
  const frame = frameWindow(l, runtime.version.text);
  const b = Buffer.alloc(P.size);
  const u16 = (field: keyof typeof P.offsets, v: number) =>
    b.writeUInt16LE(v === NONE ? V.PT_OFFSET_NONE : v, P.offsets[field]);
  b.writeBigUInt64LE(runtime.runtimeAddress, P.offsets.runtime);
  b.writeBigUInt64LE(runtime.codeType, P.offsets.code_type);
  u16('interpreters_head', l.runtime.interpretersHead);
  u16('interp_next', l.interpreter.next);
  u16('interp_threads_head', l.interpreter.threadsHead);
  u16('thread_next', l.thread.next);
  u16('thread_id', l.thread.threadId);
  u16('thread_native_id', l.thread.nativeThreadId);
  u16('thread_frame', l.thread.frame);
  u16('cframe_current_frame', l.thread.cframeCurrentFrame);
  u16('frame_previous', l.frame.previous);
  u16('frame_code', l.frame.code);
  u16('frame_instruction', l.frame.instruction);
  u16('frame_owner', l.frame.owner);
  u16('code_units', l.code.unitsInline ? l.code.units : NONE);
  u16('object_type', l.object.type);
  b.writeUInt8(INSTRUCTION_KIND[l.frame.instructionKind], P.offsets.instruction_kind);
  b.writeUInt8(l.frame.codeTagBits, P.offsets.code_tag_bits);
  b.writeUInt8(l.frame.notPythonOwner === NONE ? 0xff : l.frame.notPythonOwner, P.offsets.not_python_owner);
  // Before 3.11 the thread state holds only the pthread id: matched against the fs base.
  b.writeUInt8(l.thread.nativeThreadId === NONE ? 1 : 0, P.offsets.match_fsbase);
  const d = l.datastack;
  u16('datastack_chunk', d.chunk);
  u16('datastack_top', d.top);
  u16('chunk_previous', d.chunkPrevious);
  u16('chunk_top', d.chunkTop);
  u16('chunk_data', d.chunkData);
  u16('code_nlocalsplus', d.codeNlocalsplus);
  u16('code_stacksize', d.codeStacksize);
  u16('frame_specials_words', d.frameSpecialsWords);
  u16('code_filename', l.code.filename);
  u16('code_name', l.code.name);
  u16('code_firstlineno', l.code.firstlineno);
  u16('unicode_length', l.unicode.length);
  u16('frame_window_start', frame.start);
  u16('frame_window_len', frame.length);
  return b;
}
