/* Types shared by the BPF program (usdt_event.bpf.c) and the C++ loader.
 * Fixed-width fields only: both sides must agree on every byte. */
#ifndef PYTRACE_USDT_EVENT_H
#define PYTRACE_USDT_EVENT_H

#ifdef __BPF__
typedef __u8 pt_u8;
typedef __u16 pt_u16;
typedef __u32 pt_u32;
typedef __s64 pt_s64;
typedef __u64 pt_u64;
#else
#include <stdint.h>
typedef uint8_t pt_u8;
typedef uint16_t pt_u16;
typedef uint32_t pt_u32;
typedef int64_t pt_s64;
typedef uint64_t pt_u64;
#endif

#define PT_MAX_ARGS 3
#define PT_MAX_SPECS 1024
/* Longest string copied per argument, terminating NUL included. */
#define PT_STR_MAX 256 /* str_len is a u8: at most 255 bytes are kept */

/* How one marker argument is fetched at the probe. */
enum pt_arg_kind {
	PT_ARG_NONE = 0,
	PT_ARG_CONST = 1,      /* value */
	PT_ARG_REG = 2,        /* reg */
	PT_ARG_REG_DEREF = 3,  /* *(reg + value) */
	PT_ARG_SIB_DEREF = 4,  /* *(reg + index * scale + value) */
	PT_ARG_IP_DEREF = 5,   /* *(ip + value): a symbol, relative to the probe address */
};

struct pt_arg_spec {
	pt_s64 value;        /* constant, displacement, or symbol offset from the probe */
	pt_u16 reg_off;      /* offset of the base register in struct pt_regs */
	pt_u16 index_off;    /* offset of the index register in struct pt_regs */
	pt_u8 kind;          /* enum pt_arg_kind */
	pt_u8 scale;         /* 1, 2, 4 or 8 */
	pt_u8 size;          /* 1, 2, 4 or 8 bytes */
	pt_u8 is_signed;
	pt_u8 is_string;     /* the value is a char * to copy out */
	pt_u8 pad[7];
};

/* One marker location; the uprobe's BPF cookie is its index in the spec map. */
struct pt_spec {
	struct pt_arg_spec args[PT_MAX_ARGS];
	pt_u8 event_type;    /* enum pt_event_type */
	pt_u8 nargs;
	pt_u8 track_only;    /* feeds the `within` filter, sends nothing */
	pt_u8 pad[5];
};

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
	PT_EV_FORK = 10,     /* pid, tid: the parent's; arg[0]: the child's pid; arg[1]: enum pt_fork_flags */
	PT_EV_EXEC = 11,     /* string 0: the new executable's path, as passed to execve;
	                        arg[1]: enum pt_exec_flags; arg[2]: the thread's tid before */
	PT_EV_EXIT = 12,     /* arg[0]: wait status */
};

/* A record as it leaves the kernel: this header, then the inline string
 * arguments' bytes back to back (no NULs).
 * A string argument's arg[i] is its address in the target. Bit i of
 * string_mask says its bytes follow (str_len[i] of them); without the bit, the
 * reader already has them: the same (pid, address) was sent inline before and
 * still holds the same string (see the name cache in usdt_event.bpf.c).
 * A BPF program cannot fault pages in: a string on a page not yet present
 * comes with its bit in unread_mask instead, for the reader to fetch. */
struct pt_event {
	pt_u16 size;         /* whole record, header included */
	pt_u8 type;          /* enum pt_event_type */
	pt_u8 string_mask;   /* bit i: string argument i follows inline */
	pt_u32 pid;          /* thread group id, as the host sees it */
	pt_u32 tid;
	pt_u8 str_len[PT_MAX_ARGS];
	pt_u8 unread_mask;   /* bit i: string i is on a page not present: read it from user space */
	pt_u64 ts;           /* CLOCK_MONOTONIC, ns */
	pt_s64 arg[PT_MAX_ARGS];
	pt_u32 ns_pid;       /* in the process's own PID namespace; 0: not asked for */
	pt_u32 ns_tid;
};


/* Longest function name the `within` filter compares. */
#define PT_WITHIN_MAX 64
#define PT_COUNT_FILENAME 96
#define PT_COUNT_FUNCNAME 64
#define PT_MAX_COUNTS 16384
#define PT_NAME_CACHE_BITS 14

/* A slot of the name cache: a frame's (filename, funcname) addresses in a
 * process whose names were sent, in which code generation. */
struct pt_names_seen {
	pt_u64 filename;
	pt_u64 funcname;
	pt_u64 generation;
	pt_u32 pid;
	pt_u32 is_within;    /* funcname is the `within` function */
	pt_u64 check;        /* xor of the above: detects a slot torn by two CPUs */
};

/* Index in the `generation` map: bumped by the kernel at every code object
 * creation, and by the reader when it loses records. */
enum pt_generation { PT_GEN_CODE = 0, PT_GEN_READER = 1, PT_GEN_MAX = 2 };

/* Key of the in-kernel call counts (top): strings NUL-padded. */
struct pt_count_key {
	pt_u32 pid;
	pt_u32 lineno;
	char filename[PT_COUNT_FILENAME];
	char funcname[PT_COUNT_FUNCNAME];
};

/* How to read an audit event's argument tuple in this interpreter. Type and
 * None addresses are relative to the marker location (the probe's ip). */
struct pt_audit_layout {
	pt_s64 str_type;
	pt_s64 bytes_type;
	pt_s64 long_type;
	pt_s64 none;
	pt_u8 enabled;
	pt_u8 ascii_data;    /* offset of a compact ASCII str's characters: 48 (<= 3.11), 40 */
	pt_u8 long_tag;      /* 3.12+: an int's size and sign are in lv_tag */
	pt_u8 pad[5];
};

/* An audit record's items, after its inline strings: arg[1] is the tuple's
 * size (-1: not read), arg[2] how many items follow, each a u8 kind, a u8 length and that
 * many bytes (an int: 8 bytes, little endian; length 0: too large). */
#define PT_AUDIT_ITEMS 4
#define PT_AUDIT_BYTES 64
enum pt_audit_kind {
	PT_AUDIT_OTHER = 0,       /* payload: the type's name */
	PT_AUDIT_STR = 1,
	PT_AUDIT_BYTES_VALUE = 2,
	PT_AUDIT_INT = 3,
	PT_AUDIT_NONE = 4,
	PT_AUDIT_UNREADABLE = 5,  /* e.g. a non-ASCII str */
};

/* Index of each counter in the per-CPU `counters` map. */
enum pt_counter {
	PT_COUNT_LOST = 0,    /* records the transport could not take */
	PT_COUNT_FULL = 1,    /* calls not counted: the counts map was full */
	PT_COUNT_MAX = 2,
};

#endif
