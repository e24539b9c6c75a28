/**
 * PythonLayout: every offset a frame walker needs in one CPython build, one
 * shape for 3.9 through 3.15. 3.9-3.12 get theirs from tables generated from
 * each version's headers (layouts-generated.ts); 3.13+ from the interpreter's
 * own _Py_DebugOffsets (debug-offsets.ts). What neither gives (constants of
 * the frame-owner enum, tag bits, the line-table format) is per version here.
 *
 * The BPF walker (next step) gets this as one fixed struct per process in a
 * map keyed by tgid: every field a u16 offset (0xffff = absent) plus the
 * process's _PyRuntime and code-type addresses. It walks runtime ->
 * interpreters head -> threads head -> next ... to the sampled thread
 * (matched by nativeThreadId, or by pthread id on 3.9/3.10), then
 * current frame -> previous, skipping frames whose owner >= notPythonOwner,
 * and emits (code address, byte offset of the instruction) per frame:
 * instruction read as `kind` says. User space symbolizes those (symbols.ts).
 */
import { GENERATED_LAYOUTS } from './layouts-generated';

/** Absent field. */
export const NONE = -1;

export type LineTableFormat = 'lnotab' | 'linetable' | 'locations';

/**
 * How a frame says where it is:
 * - lasti-bytes (3.9): int f_lasti, a byte offset into co_code;
 * - lasti-units (3.10): int f_lasti, in 2-byte code units;
 * - pointer (3.11+): a pointer into the code object's inline code units
 *   (prev_instr, instr_ptr from 3.13): offset = pointer - (code + code.units).
 * -1 (lasti) or a pointer before the first unit: the frame has not started.
 */
export type InstructionKind = 'lasti-bytes' | 'lasti-units' | 'pointer';

export interface PythonLayout {
  /** "3.12". */
  minor: string;
  /** Where the numbers come from. */
  source: 'headers' | 'debug-offsets';
  runtime: { interpretersHead: number };
  interpreter: { next: number; threadsHead: number };
  thread: {
    next: number;
    interp: number;
    /** pthread_t of the thread. */
    threadId: number;
    /** The kernel's tid (3.11+; NONE before). */
    nativeThreadId: number;
    /** Offset of the frame pointer, or of the _PyCFrame pointer when viaCFrame. */
    frame: number;
    /** 3.11/3.12: the frame is thread->cframe->current_frame, at this offset in the cframe. */
    cframeCurrentFrame: number;
  };
  frame: {
    previous: number;
    code: number;
    /** Low bits to clear from the code pointer (3.14+: a tagged _PyStackRef). */
    codeTagBits: number;
    instruction: number;
    instructionKind: InstructionKind;
    /** char owner (3.11+), NONE before. */
    owner: number;
    /** Owners at or above this are C-stack / interpreter shim frames, not Python functions (NONE: none such). */
    notPythonOwner: number;
  };
  code: {
    filename: number;
    name: number;
    /** NONE before 3.11: the name is the only name. */
    qualname: number;
    firstlineno: number;
    lineTable: number;
    lineTableFormat: LineTableFormat;
    /** 3.11+: offset of the inline code units; 3.9/3.10: of the co_code bytes pointer. */
    units: number;
    unitsInline: boolean;
  };
  /**
   * The thread's data stack (3.11/3.12, from the headers; NONE where the layout does not say):
   * its own frames lie there, pushed in call order, each co_nlocalsplus + co_stacksize +
   * frameSpecialsWords words. The walker checks each frame against it (a stale chain fails).
   */
  datastack: {
    /** In the thread state: the current _PyStackChunk, and the first free word of it. */
    chunk: number;
    top: number;
    /** In a _PyStackChunk: the one before, its top (a word index, saved when the next was pushed), its words. */
    chunkPrevious: number;
    chunkTop: number;
    chunkData: number;
    /** int fields of the code object. */
    codeNlocalsplus: number;
    codeStacksize: number;
    frameSpecialsWords: number;
  };
  /** ob_type of an object; tp_flags of a type (a str subclass says so there). */
  object: { type: number; typeFlags: number };
  bytes: { size: number; data: number };
  unicode: {
    length: number;
    state: number;
    /** sizeof(PyASCIIObject): a compact ascii string's characters follow. */
    asciiSize: number;
    /** sizeof(PyCompactUnicodeObject): a compact non-ascii string's characters follow. */
    compactSize: number;
    /** A legacy (non-compact) string's data pointer. */
    dataPointer: number;
    /** The state bit saying the string is ready (3.9-3.11; NONE after). */
    readyBit: number;
  };
}

/** One row of layouts-generated.ts: offsetof() names as in scripts/python-layouts.c. */
export interface GeneratedLayout {
  runtime_interpreters_head: number;
  interp_next: number;
  interp_threads_head: number;
  thread_next: number;
  thread_interp: number;
  thread_id: number;
  thread_native_id?: number;
  thread_frame?: number;
  thread_cframe?: number;
  cframe_current_frame?: number;
  frame_previous: number;
  frame_code: number;
  frame_instr: number;
  frame_owner?: number;
  thread_datastack_chunk?: number;
  thread_datastack_top?: number;
  chunk_previous?: number;
  chunk_top?: number;
  chunk_data?: number;
  code_nlocalsplus?: number;
  code_stacksize?: number;
  frame_specials_words?: number;
  code_filename: number;
  code_name: number;
  code_qualname?: number;
  code_firstlineno: number;
  code_linetable: number;
  code_units: number;
  object_type: number;
  type_flags: number;
  bytes_size: number;
  bytes_data: number;
  unicode_length: number;
  unicode_state: number;
  unicode_ascii_size: number;
  unicode_compact_size: number;
  unicode_data_pointer: number;
}

/** The minor versions this build of pytrace knows. */
export const HEADER_VERSIONS = Object.keys(GENERATED_LAYOUTS);

/** Constants of each version's headers that no offset table carries. */
export function versionConstants(minor: number): {
  lineTableFormat: LineTableFormat;
  instructionKind: InstructionKind;
  notPythonOwner: number;
  codeTagBits: number;
  readyBit: number;
} {
  return {
    lineTableFormat: minor >= 11 ? 'locations' : minor === 10 ? 'linetable' : 'lnotab',
    instructionKind: minor >= 11 ? 'pointer' : minor === 10 ? 'lasti-units' : 'lasti-bytes',
    // enum _frameowner: 3.12/3.13 FRAME_OWNED_BY_CSTACK = 3; 3.14+ FRAME_OWNED_BY_INTERPRETER = 3,
    // FRAME_OWNED_BY_CSTACK = 4 (pycore_frame.h, pycore_interpframe_structs.h). 3.11 has no shim frames.
    notPythonOwner: minor >= 12 ? 3 : NONE,
    // 3.14+ f_executable is a _PyStackRef: Py_TAG_BITS is 3 with the GIL (pycore_stackref.h).
    codeTagBits: minor >= 14 ? 3 : 0,
    // PyASCIIObject.state: interned:2, kind:3, compact:1, ascii:1, then ready:1 until 3.11.
    readyBit: minor <= 11 ? 7 : NONE,
  };
}

/** The layout of 3.9-3.12 from the generated table, or undefined for another version. */
export function headerLayout(minor: number): PythonLayout | undefined {
  const key = `3.${minor}`;
  const g = GENERATED_LAYOUTS[key];
  if (!g) return undefined;
  const c = versionConstants(minor);
  const viaCFrame = g.thread_cframe !== undefined;
  return {
    minor: key,
    source: 'headers',
    runtime: { interpretersHead: g.runtime_interpreters_head },
    interpreter: { next: g.interp_next, threadsHead: g.interp_threads_head },
    thread: {
      next: g.thread_next,
      interp: g.thread_interp,
      threadId: g.thread_id,
      nativeThreadId: g.thread_native_id ?? NONE,
      frame: viaCFrame ? g.thread_cframe! : g.thread_frame!,
      cframeCurrentFrame: viaCFrame ? g.cframe_current_frame! : NONE,
    },
    frame: {
      previous: g.frame_previous,
      code: g.frame_code,
      codeTagBits: c.codeTagBits,
      instruction: g.frame_instr,
      instructionKind: c.instructionKind,
      owner: g.frame_owner ?? NONE,
      notPythonOwner: c.notPythonOwner,
    },
    code: {
      filename: g.code_filename,
      name: g.code_name,
      qualname: g.code_qualname ?? NONE,
      firstlineno: g.code_firstlineno,
      lineTable: g.code_linetable,
      lineTableFormat: c.lineTableFormat,
      units: g.code_units,
      unitsInline: minor >= 11,
    },
    datastack: {
      chunk: g.thread_datastack_chunk ?? NONE,
      top: g.thread_datastack_top ?? NONE,
      chunkPrevious: g.chunk_previous ?? NONE,
      chunkTop: g.chunk_top ?? NONE,
      chunkData: g.chunk_data ?? NONE,
      codeNlocalsplus: g.code_nlocalsplus ?? NONE,
      codeStacksize: g.code_stacksize ?? NONE,
      frameSpecialsWords: g.frame_specials_words ?? NONE,
    },
    object: { type: g.object_type, typeFlags: g.type_flags },
    bytes: { size: g.bytes_size, data: g.bytes_data },
    unicode: {
      length: g.unicode_length,
      state: g.unicode_state,
      asciiSize: g.unicode_ascii_size,
      compactSize: g.unicode_compact_size,
      dataPointer: g.unicode_data_pointer,
      readyBit: c.readyBit,
    },
  };
}
