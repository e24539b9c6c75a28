/* Stack sampling's part of the kernel/JS contract: how to walk one CPython
 * process's frames (one struct per profiled process, from
 * lib/sampling/layout.ts), the record a sample leaves the kernel as, and the
 * per-CPU counters of samples and of walks that failed. Included by
 * usdt_event.h, whose integer types it uses. */
#ifndef PYTRACE_PYTHON_LAYOUT_H
#define PYTRACE_PYTHON_LAYOUT_H

/* Frames one sample carries, innermost first; a deeper stack is cut (flagged). */
#define PT_STACK_MAX 160
/* Links followed per walk besides the frames kept: shim frames, skipped. */
#define PT_WALK_EXTRA	    32
#define PT_MAX_INTERPRETERS 4
/* Thread states looked at per interpreter to find the sampled thread's. */
#define PT_MAX_THREADS	256
#define PT_MAX_PROFILED 256
/* An absent offset (PythonLayout's NONE). */
#define PT_OFFSET_NONE 0xffff

/* How a frame says where it is (lib/sampling/layout.ts InstructionKind). */
enum pt_instruction_kind {
	PT_INSTR_LASTI_BYTES = 0, /* 3.9: int f_lasti, bytes */
	PT_INSTR_LASTI_UNITS = 1, /* 3.10: int f_lasti, 2-byte code units */
	PT_INSTR_POINTER = 2,	  /* 3.11+: a pointer into the code object's units */
};

/* One profiled process, keyed by its tgid in the `profiled` map. Every
 * offset in bytes, PT_OFFSET_NONE when the version has no such field. */
struct pt_python_layout {
	pt_u64 runtime;		  /* address of _PyRuntime */
	pt_u64 code_type;	  /* address of PyCode_Type */
	pt_u16 interpreters_head; /* in _PyRuntimeState */
	pt_u16 interp_next;	  /* in PyInterpreterState */
	pt_u16 interp_threads_head;
	pt_u16 thread_next;	     /* in PyThreadState */
	pt_u16 thread_id;	     /* pthread_t */
	pt_u16 thread_native_id;     /* the kernel's tid (3.11+) */
	pt_u16 thread_frame;	     /* the frame, or the _PyCFrame (3.11/3.12) */
	pt_u16 cframe_current_frame; /* in the _PyCFrame; NONE: thread_frame is the frame */
	pt_u16 frame_previous;
	pt_u16 frame_code;
	pt_u16 frame_instruction;
	pt_u16 frame_owner;	/* char owner (3.11+) */
	pt_u16 code_units;	/* inline code units (3.11+) */
	pt_u16 object_type;	/* ob_type */
	pt_u8 instruction_kind; /* enum pt_instruction_kind */
	pt_u8 code_tag_bits;	/* low bits to clear from the code pointer */
	pt_u8 not_python_owner; /* owners at or above are shim frames; 0xff: none */
	pt_u8 match_fsbase;	/* find the thread by pthread_self (= fs base), not by tid */
	/* The thread's data stack, where its own frames lie (3.11/3.12; datastack_top NONE:
	 * frames unchecked): each frame owned by the thread must end where the one it
	 * called begins (the innermost at datastack_top), chunk by chunk. */
	pt_u16 datastack_chunk;	     /* in PyThreadState: the current _PyStackChunk */
	pt_u16 datastack_top;	     /* in PyThreadState: its first free word */
	pt_u16 chunk_previous;	     /* in _PyStackChunk */
	pt_u16 chunk_top;	     /* in _PyStackChunk: the first free word's index, saved */
	pt_u16 chunk_data;	     /* in _PyStackChunk: its words */
	pt_u16 code_nlocalsplus;     /* int, in the code object */
	pt_u16 code_stacksize;	     /* int, in the code object */
	pt_u16 frame_specials_words; /* a frame's size = nlocalsplus + stacksize + this, in words */
	/* Code object fields that say which code an address held when it was
	 * sampled (see pt_sample_frame.identity): PyObject * co_filename and
	 * co_name, int co_firstlineno; and where a str has its length (its
	 * cached hash follows it, in every version). */
	pt_u16 code_filename;
	pt_u16 code_name;
	pt_u16 code_firstlineno;
	pt_u16 unicode_length;
	/* The frame's fields above (previous, code, instruction, owner) lie within these
	 * bytes of it, read at once: one read where there were four. */
	pt_u16 frame_window_start;
	pt_u16 frame_window_len; /* at most PT_FRAME_WINDOW; never past the frame's end */
	pt_u32 pad;
};

/* The walker reads a code object's first bytes in one read, and takes from
 * them every field it needs (ob_type, the identity fields, nlocalsplus and
 * stacksize): one read where there were three to six. Every CPython from
 * 3.9 to 3.15 has them all within these bytes, and its code objects are
 * larger (3.9: 176 bytes; 3.11+: a header of at least 184, then the code);
 * lib/sampling/kernel-layout.ts refuses a layout with a field beyond. */
#define PT_CODE_WINDOW 128
/* The most of a frame read at once (3.9/3.10: 88 bytes of PyFrameObject; 3.11+: 38-75). */
#define PT_FRAME_WINDOW 128

/* One frame of a sample. offset < 0: the frame has not started.
 *
 * A code object can be freed, and its address given to another, between the
 * sample and its symbolization in user space (a module's top-level code is
 * freed once the module has run: a profile of start-up meets this every
 * time), and so can its strings. So the walker also sends what identifies
 * the code it saw, and user space symbolizes an address only while the code
 * there still matches. With the pointers, the identity takes the strings'
 * lengths and cached hashes (-1 until computed; names are interned, so
 * hashed): code made again in the same place, string for string, still
 * differs in them.
 *   identity = mix over co_filename, co_name (pointers), co_firstlineno,
 *              then length and hash of co_filename, of co_name
 *   fold(v) = (u32)v ^ (u32)(v >> 32),  mix(h, v) = h * 0x9e3779b1 ^ fold(v)  (u32, h from 0)
 * (lib/sampling/symbols.ts codeIdentity computes the same). */
struct pt_sample_frame {
	pt_u64 code;	 /* code object address */
	pt_s32 offset;	 /* byte offset of the instruction in the code */
	pt_u32 identity; /* of the code seen at `code`, as above */
};

enum pt_sample_flags {
	PT_SAMPLE_CUT = 1,    /* deeper than PT_STACK_MAX: the innermost frames only */
	PT_SAMPLE_ON_CPU = 2, /* a dump's: the thread was running (on a CPU or waiting for one) */
};

/* A sample as it leaves the kernel: this header, then `depth` struct
 * pt_sample_frame. size and type are where struct pt_event has them. */
struct pt_sample {
	pt_u16 size;
	pt_u8 type;  /* PT_EV_STACK_SAMPLE */
	pt_u8 flags; /* enum pt_sample_flags */
	pt_u32 pid;
	pt_u32 tid;
	pt_u16 depth;
	pt_u16 status; /* a dump's: PT_SAMPLES_SENT, or why the walk failed (enum pt_sample_counter) */
	pt_u64 ts;     /* CLOCK_MONOTONIC, ns */
	pt_u32 ns_pid; /* 0: not asked for */
	pt_u32 ns_tid;
};

/* Index of each counter in the per-CPU `sample_counters` map. */
enum pt_sample_counter {
	PT_SAMPLES_TAKEN = 0, /* a profiled process's thread was on the CPU */
	PT_SAMPLES_SENT = 1,
	PT_SAMPLES_LOST = 2,	   /* the transport could not take it */
	PT_UNWIND_NO_THREAD = 3,   /* the thread has no thread state (not a Python thread) */
	PT_UNWIND_READ_FAULT = 4,  /* memory on the way could not be read (paged out, or freed) */
	PT_UNWIND_NOT_CODE = 5,	   /* a frame's code is not a code object (torn, or a bad layout) */
	PT_UNWIND_EMPTY = 6,	   /* a thread state with no Python frame */
	PT_UNWIND_CUT = 7,	   /* sent, cut at PT_STACK_MAX frames */
	PT_UNWIND_STALE_FRAME = 8, /* a frame not where the thread's data stack has it: a stale chain */
	PT_SAMPLE_COUNT_MAX = 9,
};

#define PT_SAMPLE_AT(type, field, at)                                                                        \
	PT_ASSERT(__builtin_offsetof(struct type, field) == (at), #type "." #field)
#endif
