/* The contract between the BPF program, the C++ loader and the TypeScript
 * decoder: every record layout, enum and limit they share, once. The addon
 * exports them to TypeScript (native/layout.cc); the asserts at the end keep
 * the byte offsets the decoder is given equal to the compiler's. */
#ifndef PYTRACE_USDT_EVENT_H
#define PYTRACE_USDT_EVENT_H

#ifdef __BPF__
typedef __u8 pt_u8;
typedef __u16 pt_u16;
typedef __u32 pt_u32;
typedef __s32 pt_s32;
typedef __s64 pt_s64;
typedef __u64 pt_u64;
#else
#include <stdint.h>
typedef uint8_t pt_u8;
typedef uint16_t pt_u16;
typedef uint32_t pt_u32;
typedef int32_t pt_s32;
typedef int64_t pt_s64;
typedef uint64_t pt_u64;
#endif

#define PT_MAX_ARGS  3
#define PT_MAX_SPECS 1024
/* Longest string (file, function, module, audit event name) a record carries
 * whole, in bytes; a longer one is cut to this many and flagged truncated. */
#define PT_NAME_MAX 4096
/* Bytes read per string: one more than is kept, and the NUL, so that a cut
 * can be told from a string of exactly PT_NAME_MAX bytes. */
#define PT_NAME_READ (PT_NAME_MAX + 2)

/* How one marker argument is fetched at the probe. */
enum pt_arg_kind {
	PT_ARG_NONE = 0,
	PT_ARG_CONST = 1,     /* value */
	PT_ARG_REG = 2,	      /* reg */
	PT_ARG_REG_DEREF = 3, /* *(reg + value) */
	PT_ARG_SIB_DEREF = 4, /* *(reg + index * scale + value) */
	PT_ARG_IP_DEREF = 5,  /* *(ip + value): a symbol, relative to the probe address */
};

/* Offsets of the registers in the user-visible struct pt_regs, which the
 * uprobe's context is: x86_64 (asm/ptrace.h) and aarch64 (user_pt_regs). */
#define PT_X86_64_REGS(X)                                                                                    \
	X(r15, 0)                                                                                            \
	X(r14, 8)                                                                                            \
	X(r13, 16)                                                                                           \
	X(r12, 24)                                                                                           \
	X(rbp, 32)                                                                                           \
	X(rbx, 40)                                                                                           \
	X(r11, 48)                                                                                           \
	X(r10, 56)                                                                                           \
	X(r9, 64)                                                                                            \
	X(r8, 72)                                                                                            \
	X(rax, 80)                                                                                           \
	X(rcx, 88)                                                                                           \
	X(rdx, 96)                                                                                           \
	X(rsi, 104)                                                                                          \
	X(rdi, 112)                                                                                          \
	X(rip, 128)                                                                                          \
	X(rsp, 152)
#define PT_AARCH64_X(i) ((i)*8) /* regs[i], i = 0..30 */
#define PT_AARCH64_SP	248
#define PT_AARCH64_PC	256

struct pt_arg_spec {
	pt_s64 value;	  /* constant, displacement, or symbol offset from the probe */
	pt_u16 reg_off;	  /* offset of the base register in struct pt_regs */
	pt_u16 index_off; /* offset of the index register in struct pt_regs */
	pt_u8 kind;	  /* enum pt_arg_kind */
	pt_u8 scale;	  /* 1, 2, 4 or 8 */
	pt_u8 size;	  /* 1, 2, 4 or 8 bytes */
	pt_u8 is_signed;
	pt_u8 is_string; /* the value is a char * to copy out */
	pt_u8 pad[7];
};

/* One marker location; the uprobe's BPF cookie is its index in the spec map. */
struct pt_spec {
	struct pt_arg_spec args[PT_MAX_ARGS];
	pt_u8 event_type; /* enum pt_event_type */
	pt_u8 nargs;
	pt_u8 track_only; /* feeds the `within` filter, sends nothing */
	pt_u8 pad[5];
};

/* A record's type. New types are appended: the values are part of the contract. */
enum pt_event_type {
	PT_EV_FUNCTION_ENTRY = 1,
	PT_EV_FUNCTION_RETURN = 2,
	PT_EV_LINE = 3,
	PT_EV_GC_START = 4,
	PT_EV_GC_DONE = 5,
	PT_EV_IMPORT_START = 6,
	PT_EV_IMPORT_DONE = 7,
	PT_EV_AUDIT = 8,
	/* Not a marker: a uprobe on _Py_MakeCoro (CPython 3.15), where a call
	 * that only creates a generator leaves without a return marker. */
	PT_EV_GENERATOR_CREATED = 9,
	/* Not markers: processes of the trace (process_events.bpf.h). */
	PT_EV_FORK = 10, /* pid, tid: the parent's; arg[0]: the child's pid; arg[1]: enum pt_fork_flags */
	PT_EV_EXEC = 11, /* string 0: the new executable's path, as passed to execve;
			    arg[1]: enum pt_exec_flags; arg[2]: the thread's tid before */
	PT_EV_EXIT = 12, /* arg[0]: wait status */
	/* Stack sampling (python_layout.h): one record per sample, struct pt_sample. */
	PT_EV_STACK_SAMPLE = 13,
};

/* A record as it leaves the kernel: this header, then the inline string
 * arguments' bytes back to back (no NULs).
 * A string argument's arg[i] is its address in the target. Bit i of
 * string_mask says its bytes follow (str_len[i] of them); without the bit, the
 * reader already has them: the same (pid, address) was sent inline before and
 * still holds the same string (see the name cache in usdt_event.bpf.c).
 * A BPF program cannot fault pages in: a string on a page not yet present
 * comes with its bit in unread_mask instead, for the reader to fetch.
 * Bit i of truncated_mask: string i is longer than PT_NAME_MAX and only its
 * first PT_NAME_MAX bytes follow (the reader cuts them to a whole character). */
struct pt_event {
	pt_u16 size;	   /* whole record, header included */
	pt_u8 type;	   /* enum pt_event_type */
	pt_u8 string_mask; /* bit i: string argument i follows inline */
	pt_u32 pid;	   /* thread group id, as the host sees it */
	pt_u32 tid;
	pt_u8 unread_mask; /* bit i: string i is on a page not present: read it from user space */
	pt_u8 truncated_mask;
	pt_u16 str_len[PT_MAX_ARGS];
	pt_u32 pad;
	pt_u64 ts; /* CLOCK_MONOTONIC, ns */
	pt_s64 arg[PT_MAX_ARGS];
	pt_u32 ns_pid; /* in the process's own PID namespace; 0: not asked for */
	pt_u32 ns_tid;
};

/* Longest function name the `within` filter compares. */
#define PT_WITHIN_MAX	   64
#define PT_MAX_COUNTS	   16384
#define PT_NAME_CACHE_BITS 14

/* A slot of the name cache: a frame's (filename, funcname) addresses in a
 * process whose names were sent, in which code generation. */
struct pt_names_seen {
	pt_u64 filename;
	pt_u64 funcname;
	pt_u64 generation;
	pt_u32 pid;
	pt_u32 is_within; /* funcname is the `within` function */
	pt_u64 check;	  /* xor of the above: detects a slot torn by two CPUs */
};

/* Index in the `generation` map: bumped by the kernel at every code object
 * creation, and by the reader when it loses records (or reads call counts). */
enum pt_generation { PT_GEN_CODE = 0, PT_GEN_READER = 1, PT_GEN_MAX = 2 };

/* Key of the in-kernel call counts (top): names by address, valid in their
 * code generation (see the name cache), their bytes in the count_names maps. */
struct pt_count_key {
	pt_u32 pid;
	pt_u32 lineno;
	pt_u64 generation;
	pt_u64 filename;
	pt_u64 funcname;
};

/* A name the call counts refer to: (pid, address, generation). */
struct pt_name_key {
	pt_u64 address;
	pt_u64 generation;
	pt_u32 pid;
	pt_u32 pad;
};

/* Names shorter than PT_SHORT_NAME bytes are kept in a map of small values
 * (nearly all of them); longer ones in one of PT_NAME_READ-byte values. */
#define PT_SHORT_NAME	   248
#define PT_MAX_SHORT_NAMES (2 * PT_MAX_COUNTS)
#define PT_MAX_LONG_NAMES  1024
enum pt_name_flags {
	PT_NAME_TRUNCATED = 1, /* longer than PT_NAME_MAX: the first PT_NAME_MAX bytes */
	PT_NAME_UNREAD = 2,    /* on a page not present: read it from user space */
};
struct pt_name {
	pt_u16 len;
	pt_u8 flags; /* enum pt_name_flags */
	pt_u8 pad[5];
	char bytes[PT_NAME_READ];
};
struct pt_short_name {
	pt_u16 len;
	pt_u8 flags;
	pt_u8 pad[5];
	char bytes[PT_SHORT_NAME];
};

/* How to read an audit event's argument tuple in this interpreter. Type and
 * None addresses are relative to the marker location (the probe's ip). */
struct pt_audit_layout {
	pt_s64 str_type;
	pt_s64 bytes_type;
	pt_s64 long_type;
	pt_s64 tuple_type;
	pt_s64 none;
	pt_u8 enabled;
	pt_u8 ascii_data;   /* offset of a compact ASCII str's characters: 48 (<= 3.11), 40 */
	pt_u8 compact_data; /* of a compact non-ASCII str's: 72 (<= 3.11), 56 */
	pt_u8 long_tag;	    /* 3.12+: an int's size and sign are in lv_tag */
	pt_u8 tuple_items;  /* offset of a tuple's items: 24, 32 from 3.14 (its cached hash before them) */
	pt_u8 pad[3];
};

/* An audit record's items, after its inline strings: arg[1] is the tuple's
 * size (-1: not read), arg[2] how many items follow, each a struct
 * pt_audit_item and its payload. A tuple item (one level deep) is followed by
 * its own items. */
#define PT_AUDIT_ITEMS	    6	/* of the event's tuple */
#define PT_AUDIT_NESTED	    4	/* of a tuple in it */
#define PT_AUDIT_BYTES	    256 /* longest str or bytes payload */
#define PT_AUDIT_INT_DIGITS 8	/* an int of up to 8 30-bit digits (240 bits) */
enum pt_audit_kind {
	PT_AUDIT_OTHER = 0, /* payload: the type's name */
	PT_AUDIT_STR = 1,   /* ASCII */
	PT_AUDIT_BYTES_VALUE = 2,
	PT_AUDIT_INT = 3, /* payload: the 30-bit digits, u32 each, least significant first */
	PT_AUDIT_NONE = 4,
	PT_AUDIT_UNREADABLE = 5, /* not even its type could be read */
	PT_AUDIT_STR_LATIN1 = 6, /* a compact str of 1-byte characters, not all ASCII */
	PT_AUDIT_STR_UCS2 = 7,	 /* 2-byte characters, little endian */
	PT_AUDIT_STR_UCS4 = 8,	 /* 4-byte characters */
	PT_AUDIT_TUPLE = 9,	 /* payload: u32 size; then `count` items */
};
enum pt_audit_flags {
	PT_AUDIT_CUT = 1,      /* the value is longer than its payload (an int: too large, no payload) */
	PT_AUDIT_NEGATIVE = 2, /* an int below 0 */
};
struct pt_audit_item {
	pt_u8 kind;   /* enum pt_audit_kind */
	pt_u8 flags;  /* enum pt_audit_flags */
	pt_u16 len;   /* payload bytes */
	pt_u32 count; /* a tuple: how many of its items follow */
};

/* Index of each counter in the per-CPU `counters` map. */
enum pt_counter {
	PT_COUNT_LOST = 0, /* records the transport could not take */
	PT_COUNT_FULL = 1, /* calls not counted: the counts or names map was full */
	PT_COUNT_MAX = 2,
};

/* The byte layout TypeScript is given (native/layout.cc): fixed here. */
#ifdef __cplusplus
#define PT_ASSERT static_assert
#else
#define PT_ASSERT _Static_assert
#endif
#define PT_AT(type, field, at) PT_ASSERT(__builtin_offsetof(struct type, field) == (at), #type "." #field)
PT_AT(pt_event, size, 0);
PT_AT(pt_event, type, 2);
PT_AT(pt_event, string_mask, 3);
PT_AT(pt_event, pid, 4);
PT_AT(pt_event, tid, 8);
PT_AT(pt_event, unread_mask, 12);
PT_AT(pt_event, truncated_mask, 13);
PT_AT(pt_event, str_len, 14);
PT_AT(pt_event, ts, 24);
PT_AT(pt_event, arg, 32);
PT_AT(pt_event, ns_pid, 56);
PT_AT(pt_event, ns_tid, 60);
PT_ASSERT(sizeof(struct pt_event) == 64, "pt_event size");
PT_AT(pt_audit_item, kind, 0);
PT_AT(pt_audit_item, flags, 1);
PT_AT(pt_audit_item, len, 2);
PT_AT(pt_audit_item, count, 4);
PT_ASSERT(sizeof(struct pt_audit_item) == 8, "pt_audit_item size");
PT_ASSERT(sizeof(struct pt_spec) == 3 * 24 + 8, "pt_spec size");
PT_ASSERT(sizeof(struct pt_count_key) == 32, "pt_count_key size");
PT_ASSERT(__builtin_offsetof(struct pt_name, bytes) == __builtin_offsetof(struct pt_short_name, bytes),
	  "a short name is a prefix of a long one");
PT_ASSERT(sizeof(struct pt_event) + PT_MAX_ARGS * PT_NAME_MAX + 4096 < 65536, "a record's size fits its u16");
#undef PT_AT

#include "python_layout.h"
/* A sample shares the fields the reader needs to frame any record. */
PT_ASSERT(__builtin_offsetof(struct pt_sample, size) == __builtin_offsetof(struct pt_event, size),
	  "pt_sample.size");
PT_ASSERT(__builtin_offsetof(struct pt_sample, type) == __builtin_offsetof(struct pt_event, type),
	  "pt_sample.type");
PT_SAMPLE_AT(pt_sample, flags, 3);
PT_SAMPLE_AT(pt_sample, pid, 4);
PT_SAMPLE_AT(pt_sample, tid, 8);
PT_SAMPLE_AT(pt_sample, depth, 12);
PT_SAMPLE_AT(pt_sample, status, 14);
PT_SAMPLE_AT(pt_sample, ts, 16);
PT_SAMPLE_AT(pt_sample, ns_pid, 24);
PT_SAMPLE_AT(pt_sample, ns_tid, 28);
PT_ASSERT(sizeof(struct pt_sample) == 32, "pt_sample size");
PT_SAMPLE_AT(pt_sample_frame, code, 0);
PT_SAMPLE_AT(pt_sample_frame, offset, 8);
PT_SAMPLE_AT(pt_sample_frame, identity, 12);
PT_ASSERT(sizeof(struct pt_sample_frame) == 16, "pt_sample_frame size");
PT_SAMPLE_AT(pt_python_layout, runtime, 0);
PT_SAMPLE_AT(pt_python_layout, code_type, 8);
PT_SAMPLE_AT(pt_python_layout, match_fsbase, 47);
PT_SAMPLE_AT(pt_python_layout, frame_specials_words, 62);
PT_SAMPLE_AT(pt_python_layout, code_filename, 64);
PT_SAMPLE_AT(pt_python_layout, unicode_length, 70);
PT_SAMPLE_AT(pt_python_layout, frame_window_len, 74);
PT_ASSERT(sizeof(struct pt_python_layout) == 80, "pt_python_layout size");
PT_ASSERT(sizeof(struct pt_sample) + PT_STACK_MAX * sizeof(struct pt_sample_frame) < 65536,
	  "a sample's size fits its u16");

/* Kernels without BPF cookies (before Linux 5.15): a location's spec id is
 * found by where the probe is, in the process that hit it (map spec_ids). */
struct pt_spec_key {
	pt_u64 ip; /* the location's address in that process */
	pt_u32 tgid;
	pt_u32 pad;
};
PT_ASSERT(sizeof(struct pt_spec_key) == 16, "pt_spec_key size");

#endif
