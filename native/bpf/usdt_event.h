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
#define PT_STR_MAX 256

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
};

/* A record as it leaves the kernel: this header, then the string arguments'
 * bytes back to back (no NULs). For a string argument, arg[i] holds its length. */
struct pt_event {
	pt_u16 size;         /* whole record, header included */
	pt_u8 type;          /* enum pt_event_type */
	pt_u8 string_mask;   /* bit i: arg[i] is a string length */
	pt_u32 pid;          /* thread group id, as the host sees it */
	pt_u32 tid;
	pt_u32 reserved;
	pt_u64 ts;           /* CLOCK_MONOTONIC, ns */
	pt_s64 arg[PT_MAX_ARGS];
};

#define PT_EVENT_MAX_SIZE (sizeof(struct pt_event) + PT_MAX_ARGS * PT_STR_MAX)

/* Longest function name the `within` filter compares. */
#define PT_WITHIN_MAX 64
#define PT_COUNT_FILENAME 96
#define PT_COUNT_FUNCNAME 64
#define PT_MAX_COUNTS 16384

/* Key of the in-kernel call counts (top): strings NUL-padded. */
struct pt_count_key {
	pt_u32 pid;
	pt_u32 lineno;
	char filename[PT_COUNT_FILENAME];
	char funcname[PT_COUNT_FUNCNAME];
};

/* Index of each counter in the per-CPU `counters` map. */
enum pt_counter {
	PT_COUNT_EVENTS = 0,  /* records handed to the transport */
	PT_COUNT_LOST = 1,    /* records the transport could not take */
	PT_COUNT_FULL = 2,    /* calls not counted: the counts map was full */
	PT_COUNT_MAX = 3,
};

#endif
