/**
 * CPython 3.13+ publish their layout at the start of _PyRuntime:
 * _Py_DebugOffsets, the cookie "xdebugpy", PY_VERSION_HEX, free_threaded,
 * then groups of uint64 offsets. The numbers are read from the target; only
 * the order of the fields is known here, as each version's header declares it
 * (3.13: Include/internal/pycore_runtime.h; 3.14, 3.15:
 * Include/internal/pycore_debug_offsets.h). The groups grew between versions,
 * so each version has its own order; an unknown version is refused.
 */
import { PytraceError } from '../errors';
import { NONE, PythonLayout, versionConstants } from './layout';

export const DEBUG_COOKIE = 'xdebugpy';

type Groups = [group: string, fields: string[]][];

const HEAD: Groups = [['', ['version', 'free_threaded']]];

const V313: Groups = [
  ...HEAD,
  ['runtime_state', ['size', 'finalizing', 'interpreters_head']],
  [
    'interpreter_state',
    [
      'size',
      'id',
      'next',
      'threads_head',
      'gc',
      'imports_modules',
      'sysdict',
      'builtins',
      'ceval_gil',
      'gil_runtime_state',
      'gil_runtime_state_enabled',
      'gil_runtime_state_locked',
      'gil_runtime_state_holder',
    ],
  ],
  [
    'thread_state',
    ['size', 'prev', 'next', 'interp', 'current_frame', 'thread_id', 'native_thread_id', 'datastack_chunk', 'status'],
  ],
  ['interpreter_frame', ['size', 'previous', 'executable', 'instr_ptr', 'localsplus', 'owner']],
  [
    'code_object',
    [
      'size',
      'filename',
      'name',
      'qualname',
      'linetable',
      'firstlineno',
      'argcount',
      'localsplusnames',
      'localspluskinds',
      'co_code_adaptive',
    ],
  ],
  ['pyobject', ['size', 'ob_type']],
  ['type_object', ['size', 'tp_name', 'tp_repr', 'tp_flags']],
  ['tuple_object', ['size', 'ob_item', 'ob_size']],
  ['list_object', ['size', 'ob_item', 'ob_size']],
  ['dict_object', ['size', 'ma_keys', 'ma_values']],
  ['float_object', ['size', 'ob_fval']],
  ['long_object', ['size', 'lv_tag', 'ob_digit']],
  ['bytes_object', ['size', 'ob_size', 'ob_sval']],
  ['unicode_object', ['size', 'state', 'length', 'asciiobject_size']],
];

const V314: Groups = [
  ...HEAD,
  ['runtime_state', ['size', 'finalizing', 'interpreters_head']],
  [
    'interpreter_state',
    [
      'size',
      'id',
      'next',
      'threads_head',
      'threads_main',
      'gc',
      'imports_modules',
      'sysdict',
      'builtins',
      'ceval_gil',
      'gil_runtime_state',
      'gil_runtime_state_enabled',
      'gil_runtime_state_locked',
      'gil_runtime_state_holder',
      'code_object_generation',
      'tlbc_generation',
    ],
  ],
  [
    'thread_state',
    ['size', 'prev', 'next', 'interp', 'current_frame', 'thread_id', 'native_thread_id', 'datastack_chunk', 'status'],
  ],
  [
    'interpreter_frame',
    ['size', 'previous', 'executable', 'instr_ptr', 'localsplus', 'owner', 'stackpointer', 'tlbc_index'],
  ],
  [
    'code_object',
    [
      'size',
      'filename',
      'name',
      'qualname',
      'linetable',
      'firstlineno',
      'argcount',
      'localsplusnames',
      'localspluskinds',
      'co_code_adaptive',
      'co_tlbc',
    ],
  ],
  ['pyobject', ['size', 'ob_type']],
  ['type_object', ['size', 'tp_name', 'tp_repr', 'tp_flags']],
  ['tuple_object', ['size', 'ob_item', 'ob_size']],
  ['list_object', ['size', 'ob_item', 'ob_size']],
  ['set_object', ['size', 'used', 'table', 'mask']],
  ['dict_object', ['size', 'ma_keys', 'ma_values']],
  ['float_object', ['size', 'ob_fval']],
  ['long_object', ['size', 'lv_tag', 'ob_digit']],
  ['bytes_object', ['size', 'ob_size', 'ob_sval']],
  ['unicode_object', ['size', 'state', 'length', 'asciiobject_size']],
];

const V315: Groups = [
  ...HEAD,
  ['runtime_state', ['size', 'finalizing', 'interpreters_head']],
  [
    'interpreter_state',
    [
      'size',
      'id',
      'next',
      'threads_head',
      'threads_main',
      'gc',
      'imports_modules',
      'sysdict',
      'builtins',
      'ceval_gil',
      'gil_runtime_state',
      'gil_runtime_state_enabled',
      'gil_runtime_state_locked',
      'gil_runtime_state_holder',
      'code_object_generation',
      'tlbc_generation',
    ],
  ],
  [
    'thread_state',
    [
      'size',
      'prev',
      'next',
      'interp',
      'current_frame',
      'base_frame',
      'last_profiled_frame',
      'last_profiled_frame_seq',
      'thread_id',
      'native_thread_id',
      'datastack_chunk',
      'status',
      'holds_gil',
      'gil_requested',
      'current_exception',
      'exc_state',
    ],
  ],
  ['err_stackitem', ['exc_value']],
  [
    'interpreter_frame',
    ['size', 'previous', 'executable', 'instr_ptr', 'localsplus', 'owner', 'stackpointer', 'tlbc_index'],
  ],
  [
    'code_object',
    [
      'size',
      'filename',
      'name',
      'qualname',
      'linetable',
      'firstlineno',
      'argcount',
      'localsplusnames',
      'localspluskinds',
      'co_code_adaptive',
      'co_tlbc',
    ],
  ],
  ['pyobject', ['size', 'ob_type']],
  ['type_object', ['size', 'tp_name', 'tp_repr', 'tp_flags', 'tp_basicsize', 'tp_dictoffset']],
  ['heap_type_object', ['size', 'ht_cached_keys']],
  ['tuple_object', ['size', 'ob_item', 'ob_size']],
  ['list_object', ['size', 'ob_item', 'ob_size']],
  ['set_object', ['size', 'used', 'table', 'mask']],
  ['dict_object', ['size', 'ma_keys', 'ma_values']],
  ['float_object', ['size', 'ob_fval']],
  ['long_object', ['size', 'lv_tag', 'ob_digit']],
  ['bytes_object', ['size', 'ob_size', 'ob_sval']],
  ['unicode_object', ['size', 'state', 'length', 'asciiobject_size', 'compactunicodeobject_size']],
];

const ORDERS: Record<number, Groups> = { 13: V313, 14: V314, 15: V315 };

/** Bytes of _PyRuntime to read to parse the debug offsets of any known version. */
export const DEBUG_OFFSETS_BYTES =
  8 + 8 * Math.max(...Object.values(ORDERS).map((g) => g.flatMap(([, f]) => f).length));

/** Minor versions whose _Py_DebugOffsets this build of pytrace can read. */
export const DEBUG_OFFSET_VERSIONS = Object.keys(ORDERS).map((m) => `3.${m}`);

export interface DebugOffsets {
  version: number;
  freeThreaded: boolean;
  /** "group.field" -> the value the interpreter published. */
  values: Map<string, number>;
}

/** Parses _Py_DebugOffsets of 3.`minor` from the first bytes of _PyRuntime. */
export function parseDebugOffsets(minor: number, bytes: Buffer): DebugOffsets {
  const order = ORDERS[minor];
  if (!order)
    throw new PytraceError(
      'PYTRACE_UNKNOWN_LAYOUT',
      `CPython 3.${minor}'s debug offsets have a field order this version of pytrace does not know ` +
        `(it reads ${DEBUG_OFFSET_VERSIONS.join(', ')}): update pytrace.`,
    );
  const cookie = bytes.subarray(0, 8).toString('latin1');
  if (cookie !== DEBUG_COOKIE)
    throw new PytraceError(
      'PYTRACE_UNKNOWN_LAYOUT',
      `CPython 3.${minor}'s _PyRuntime does not start with the "${DEBUG_COOKIE}" cookie of _Py_DebugOffsets ` +
        `(found ${JSON.stringify(cookie)}): not a layout pytrace can read.`,
    );
  const values = new Map<string, number>();
  let at = 8;
  for (const [group, fields] of order)
    for (const field of fields) {
      if (at + 8 > bytes.length) throw new Error(`debug offsets: ${bytes.length} bytes read, need more`);
      values.set(group ? `${group}.${field}` : field, Number(bytes.readBigUInt64LE(at)));
      at += 8;
    }
  return { version: values.get('version')!, freeThreaded: values.get('free_threaded') !== 0, values };
}

/** The walker's layout from the published offsets (and the version's constants). */
export function debugOffsetsLayout(minor: number, d: DebugOffsets): PythonLayout {
  const v = (name: string): number => {
    const x = d.values.get(name);
    // An offset into one of these structs is small; anything else is not an offset table.
    if (x === undefined || x >= 0x10000)
      throw new PytraceError(
        'PYTRACE_UNKNOWN_LAYOUT',
        `CPython 3.${minor}'s debug offset ${name} is ${x}: not a layout pytrace can read.`,
      );
    return x;
  };
  const c = versionConstants(minor);
  const unicodeSize = v('unicode_object.size');
  // PyUnicodeObject is PyCompactUnicodeObject and a data pointer; 3.15 publishes the former.
  const compactSize = d.values.has('unicode_object.compactunicodeobject_size')
    ? v('unicode_object.compactunicodeobject_size')
    : unicodeSize - 8;
  return {
    minor: `3.${minor}`,
    source: 'debug-offsets',
    runtime: { interpretersHead: v('runtime_state.interpreters_head') },
    interpreter: { next: v('interpreter_state.next'), threadsHead: v('interpreter_state.threads_head') },
    thread: {
      next: v('thread_state.next'),
      interp: v('thread_state.interp'),
      threadId: v('thread_state.thread_id'),
      nativeThreadId: v('thread_state.native_thread_id'),
      frame: v('thread_state.current_frame'),
      cframeCurrentFrame: NONE,
    },
    frame: {
      previous: v('interpreter_frame.previous'),
      code: v('interpreter_frame.executable'),
      codeTagBits: c.codeTagBits,
      instruction: v('interpreter_frame.instr_ptr'),
      instructionKind: 'pointer',
      owner: v('interpreter_frame.owner'),
      notPythonOwner: c.notPythonOwner,
    },
    code: {
      filename: v('code_object.filename'),
      name: v('code_object.name'),
      qualname: v('code_object.qualname'),
      firstlineno: v('code_object.firstlineno'),
      lineTable: v('code_object.linetable'),
      lineTableFormat: c.lineTableFormat,
      units: v('code_object.co_code_adaptive'),
      unitsInline: true,
    },
    // The debug offsets give the data stack's chunk but not its top nor a frame's size: unchecked.
    datastack: {
      chunk: NONE,
      top: NONE,
      chunkPrevious: NONE,
      chunkTop: NONE,
      chunkData: NONE,
      codeNlocalsplus: NONE,
      codeStacksize: NONE,
      frameSpecialsWords: NONE,
    },
    object: { type: v('pyobject.ob_type'), typeFlags: v('type_object.tp_flags') },
    bytes: { size: v('bytes_object.ob_size'), data: v('bytes_object.ob_sval') },
    unicode: {
      length: v('unicode_object.length'),
      state: v('unicode_object.state'),
      asciiSize: v('unicode_object.asciiobject_size'),
      compactSize,
      dataPointer: unicodeSize - 8,
      readyBit: c.readyBit,
    },
  };
}
