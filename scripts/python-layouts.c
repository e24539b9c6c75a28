/*
 * Prints, as JSON, the offsets a frame walker needs in one CPython 3.9-3.12
 * build, taken with offsetof() from that version's own headers (compiled with
 * -DPy_BUILD_CORE against its Include/internal). scripts/python-layouts.sh
 * runs it per version and writes lib/sampling/layouts-generated.ts.
 * 3.13+ publish these numbers in the interpreter (_Py_DebugOffsets): not here.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#else
#include <frameobject.h>
#endif

#define FIELD(name, value) printf("%s\"%s\": %ld", first ? "" : ", ", name, (long)(value)), first = 0

int main(void) {
  int first = 1;
  printf("{");
  printf("\"py_version\": \"%s\", ", PY_VERSION);
  FIELD("version_hex", PY_VERSION_HEX);
  FIELD("runtime_interpreters_head", offsetof(_PyRuntimeState, interpreters.head));
  FIELD("interp_next", offsetof(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030B0000
  FIELD("interp_threads_head", offsetof(PyInterpreterState, threads.head));
#else
  FIELD("interp_threads_head", offsetof(PyInterpreterState, tstate_head));
#endif
  FIELD("thread_next", offsetof(PyThreadState, next));
  FIELD("thread_interp", offsetof(PyThreadState, interp));
  FIELD("thread_id", offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030B0000
  FIELD("thread_native_id", offsetof(PyThreadState, native_thread_id));
  FIELD("thread_cframe", offsetof(PyThreadState, cframe));
  FIELD("cframe_current_frame", offsetof(_PyCFrame, current_frame));
  FIELD("frame_previous", offsetof(_PyInterpreterFrame, previous));
  FIELD("frame_code", offsetof(_PyInterpreterFrame, f_code));
  FIELD("frame_instr", offsetof(_PyInterpreterFrame, prev_instr));
  FIELD("frame_owner", offsetof(_PyInterpreterFrame, owner));
  /* The thread's data stack, where its own frames live (pycore_pystate.h's push/pop). */
  FIELD("thread_datastack_chunk", offsetof(PyThreadState, datastack_chunk));
  FIELD("thread_datastack_top", offsetof(PyThreadState, datastack_top));
  FIELD("chunk_previous", offsetof(_PyStackChunk, previous));
  FIELD("chunk_top", offsetof(_PyStackChunk, top));
  FIELD("chunk_data", offsetof(_PyStackChunk, data));
  /* A frame's size in words: co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE, as pushed. */
  FIELD("code_nlocalsplus", offsetof(PyCodeObject, co_nlocalsplus));
  FIELD("code_stacksize", offsetof(PyCodeObject, co_stacksize));
  FIELD("frame_specials_words", FRAME_SPECIALS_SIZE);
  FIELD("code_qualname", offsetof(PyCodeObject, co_qualname));
  FIELD("code_linetable", offsetof(PyCodeObject, co_linetable));
  FIELD("code_units", offsetof(PyCodeObject, co_code_adaptive));
#else
  FIELD("thread_frame", offsetof(PyThreadState, frame));
  FIELD("frame_previous", offsetof(PyFrameObject, f_back));
  FIELD("frame_code", offsetof(PyFrameObject, f_code));
  FIELD("frame_instr", offsetof(PyFrameObject, f_lasti));
  FIELD("code_units", offsetof(PyCodeObject, co_code));
#if PY_VERSION_HEX >= 0x030A0000
  FIELD("code_linetable", offsetof(PyCodeObject, co_linetable));
#else
  FIELD("code_linetable", offsetof(PyCodeObject, co_lnotab));
#endif
#endif
  FIELD("code_filename", offsetof(PyCodeObject, co_filename));
  FIELD("code_name", offsetof(PyCodeObject, co_name));
  FIELD("code_firstlineno", offsetof(PyCodeObject, co_firstlineno));
  FIELD("object_type", offsetof(PyObject, ob_type));
  FIELD("type_flags", offsetof(PyTypeObject, tp_flags));
  FIELD("bytes_size", offsetof(PyVarObject, ob_size));
  FIELD("bytes_data", offsetof(PyBytesObject, ob_sval));
  FIELD("unicode_length", offsetof(PyASCIIObject, length));
  FIELD("unicode_state", offsetof(PyASCIIObject, state));
  FIELD("unicode_ascii_size", sizeof(PyASCIIObject));
  FIELD("unicode_compact_size", sizeof(PyCompactUnicodeObject));
  FIELD("unicode_data_pointer", offsetof(PyUnicodeObject, data));
  printf("}\n");
  return 0;
}
