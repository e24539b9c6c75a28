/* The maps every program shares, and the per-CPU scratch space a record is
 * assembled in. Included once, by usdt_event.bpf.c, before the fragments. */
#ifndef PYTRACE_MAPS_BPF_H
#define PYTRACE_MAPS_BPF_H

#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "usdt_event.h"

/* Offsets into scratch.strings are masked with this: see struct scratch. */
#define SCRATCH_MASK 16383
/* Most inline bytes one record carries after its header. */
#define PT_INLINE_MAX (SCRATCH_MASK + 1 - sizeof(struct pt_event))
_Static_assert(PT_MAX_ARGS *PT_NAME_MAX <= PT_INLINE_MAX, "a record holds every string whole");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct pt_spec);
} specs SEC(".maps");

/* By spec id, for audit locations. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct pt_audit_layout);
} audit_layouts SEC(".maps");

/* Set before load: the kernel has BPF cookies (Linux 5.15). Without, the
 * reader keeps each location's spec id in spec_ids, by its address in each
 * process it is attached for (as libbpf's USDT support does then). */
const volatile bool has_cookies = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16 * PT_MAX_SPECS); /* the traced process and its children; 1 with cookies */
	__type(key, struct pt_spec_key);
	__type(value, __u32);
} spec_ids SEC(".maps");

/* The spec id of the location that fired; PT_MAX_SPECS (no spec) if unknown. */
static __always_inline __u32 spec_id(struct pt_regs *ctx)
{
	struct pt_spec_key key = {};
	__u32 *id;

	if (has_cookies)
		return (__u32)bpf_get_attach_cookie(ctx);
	/* At a uprobe's program the instruction pointer is the probed address. */
	key.ip = PT_REGS_IP(ctx);
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	id = bpf_map_lookup_elem(&spec_ids, &key);
	return id ? *id : PT_MAX_SPECS;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_GEN_MAX);
	__type(key, __u32);
	__type(value, __u64);
} generation SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_COUNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A record is assembled here, then copied to the transport in one call. */
struct scratch {
	struct pt_event ev;
	/* A string is read at (offset & SCRATCH_MASK), PT_NAME_READ bytes at
	 * most: the room after the mask keeps every read inside, which the
	 * verifier can follow where it loses a bounds check. */
	char strings[SCRATCH_MASK + 1 + PT_NAME_READ];
	/* Not sent: the size of the tuple append_audit_value() last appended, or -1. */
	__u64 tuple_size;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_space SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
}

/* Names read in an earlier generation may since name something else. */
static __always_inline __u64 current_generation(void)
{
	__u32 code = PT_GEN_CODE, reader = PT_GEN_READER;
	__u64 *a = bpf_map_lookup_elem(&generation, &code);
	__u64 *b = bpf_map_lookup_elem(&generation, &reader);

	return (a ? *a : 0) + (b ? *b : 0);
}

#endif
