// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One program serves every marker location: the uprobe's cookie selects the
 * location's spec (event type and how to fetch each argument), the program
 * fetches the arguments, copies string arguments out, and sends one record. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "usdt_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load. Ring buffer: wake the reader only once this many bytes are
 * pending (0: on every record); the reader also drains on a timer. */
const volatile __u64 wakeup_bytes = 0;

/* Set before load. When within_len > 0, a thread's events are sent only from
 * the entry of a function named within_name to its matching return. */
const volatile __u32 within_len = 0;
const volatile char within_name[PT_WITHIN_MAX] = {};

/* Per thread: how many calls of the `within` function are open. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} within_depth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_COUNTS);
	__type(key, struct pt_count_key);
	__type(value, __u64);
} call_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_count_key);
} count_key_space SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct pt_spec);
} specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized before load */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_COUNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A record is assembled here, then copied to the transport in one call. */
struct scratch {
	struct pt_event ev;
	char strings[PT_MAX_ARGS * PT_STR_MAX];
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

static __always_inline __u64 read_reg(struct pt_regs *ctx, __u16 off)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + (off & 0xff));
	return v;
}

/* Sign- or zero-extends the low `size` bytes of v. */
static __always_inline __s64 extend(__u64 v, __u8 size, __u8 is_signed)
{
	switch (size) {
	case 1: return is_signed ? (__s64)(__s8)v : (__s64)(__u8)v;
	case 2: return is_signed ? (__s64)(__s16)v : (__s64)(__u16)v;
	case 4: return is_signed ? (__s64)(__s32)v : (__s64)(__u32)v;
	default: return (__s64)v;
	}
}

static __always_inline __s64 fetch_arg(struct pt_regs *ctx, const struct pt_arg_spec *a)
{
	__u64 addr, v = 0;
	__u32 size = a->size;

	switch (a->kind) {
	case PT_ARG_CONST:
		return a->value;
	case PT_ARG_REG:
		return extend(read_reg(ctx, a->reg_off), a->size, a->is_signed);
	case PT_ARG_REG_DEREF:
		addr = read_reg(ctx, a->reg_off) + a->value;
		break;
	case PT_ARG_SIB_DEREF:
		addr = read_reg(ctx, a->reg_off) + read_reg(ctx, a->index_off) * a->scale + a->value;
		break;
	case PT_ARG_IP_DEREF:
		addr = PT_REGS_IP(ctx) + a->value;
		break;
	default:
		return 0;
	}
	if (size > 8)
		size = 8;
	bpf_probe_read_user(&v, size, (void *)addr);
	return extend(v, a->size, a->is_signed);
}

/* Builds the record for this location in the per-CPU scratch space and
 * returns its size, or 0 when there is nothing to send. */
static __always_inline __u32 build_event(struct pt_regs *ctx, struct scratch **out, bool *track_only)
{
	__u32 zero = 0, id = (__u32)bpf_get_attach_cookie(ctx);
	struct pt_spec *spec = bpf_map_lookup_elem(&specs, &id);
	struct scratch *s = bpf_map_lookup_elem(&scratch_space, &zero);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 used = 0;

	if (!spec || !s || !spec->event_type)
		return 0;
	s->ev.type = spec->event_type;
	s->ev.string_mask = 0;
	s->ev.pid = pid_tgid >> 32;
	s->ev.tid = (__u32)pid_tgid;
	s->ev.reserved = 0;
	s->ev.ts = bpf_ktime_get_ns();

#pragma unroll
	for (int i = 0; i < PT_MAX_ARGS; i++) {
		const struct pt_arg_spec *a = &spec->args[i];
		__s64 v;
		long n;

		if (i >= spec->nargs) {
			s->ev.arg[i] = 0;
			continue;
		}
		v = fetch_arg(ctx, a);
		if (!a->is_string) {
			s->ev.arg[i] = v;
			continue;
		}
		if (used > (PT_MAX_ARGS - 1) * PT_STR_MAX)
			return 0;
		n = bpf_probe_read_user_str(&s->strings[used], PT_STR_MAX, (const void *)v);
		/* n counts the NUL; a failed read sends an empty string */
		n = n > 0 ? n - 1 : 0;
		if (n > PT_STR_MAX - 1)
			n = PT_STR_MAX - 1;
		s->ev.arg[i] = n;
		s->ev.string_mask |= 1 << i;
		used += n;
	}
	if (used > PT_MAX_ARGS * PT_STR_MAX)
		return 0;
	s->ev.size = sizeof(struct pt_event) + used;
	*out = s;
	*track_only = spec->track_only;
	return sizeof(struct pt_event) + used;
}

/* Is the record's function (arg 1, after the filename) the `within` one? */
static __always_inline bool is_within_function(struct scratch *s)
{
	__u64 off = s->ev.arg[0];

	if ((__u64)s->ev.arg[1] != within_len)
		return false;
#pragma unroll
	for (int i = 0; i < PT_WITHIN_MAX; i++) {
		if (i >= within_len)
			break;
		if (off + i >= sizeof(s->strings))
			return false;
		if (s->strings[off + i] != within_name[i])
			return false;
	}
	return true;
}

/* The `within` filter: decided here so nothing outside leaves the kernel. */
static __always_inline bool within_passes(struct scratch *s)
{
	__u32 tid = s->ev.tid, depth = 0, *open;
	__u8 type = s->ev.type;

	if (!within_len)
		return true;
	open = bpf_map_lookup_elem(&within_depth, &tid);
	if (open)
		depth = *open;
	if (type == PT_EV_FUNCTION_ENTRY && is_within_function(s)) {
		depth++;
		bpf_map_update_elem(&within_depth, &tid, &depth, BPF_ANY);
		return true;
	}
	if (type == PT_EV_FUNCTION_RETURN && depth && is_within_function(s)) {
		depth--;
		if (depth)
			bpf_map_update_elem(&within_depth, &tid, &depth, BPF_ANY);
		else
			bpf_map_delete_elem(&within_depth, &tid);
		return true;
	}
	return depth > 0;
}

SEC("uprobe")
int usdt_to_ring(struct pt_regs *ctx)
{
	struct scratch *s = NULL;
	bool track_only = false;
	__u32 size = build_event(ctx, &s, &track_only);
	__u64 flags = 0;

	if (!size || !s || !within_passes(s) || track_only)
		return 0;
	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes
			? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (size > sizeof(struct scratch))
		return 0;
	if (bpf_ringbuf_output(&ring, s, size, flags))
		count(PT_COUNT_LOST);
	else
		count(PT_COUNT_EVENTS);
	return 0;
}

SEC("uprobe")
int usdt_to_perf(struct pt_regs *ctx)
{
	struct scratch *s = NULL;
	bool track_only = false;
	__u32 size = build_event(ctx, &s, &track_only);

	if (!size || !s || !within_passes(s) || track_only)
		return 0;
	if (size > sizeof(struct scratch))
		return 0;
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, s, size))
		count(PT_COUNT_LOST);
	else
		count(PT_COUNT_EVENTS);
	return 0;
}

/* Counts calls per (pid, file, line, function) in a map: for a top-like view,
 * no per-call record leaves the kernel. Attached to function__entry. */
SEC("uprobe")
int usdt_count(struct pt_regs *ctx)
{
	__u32 zero = 0, id = (__u32)bpf_get_attach_cookie(ctx);
	struct pt_spec *spec = bpf_map_lookup_elem(&specs, &id);
	struct pt_count_key *key = bpf_map_lookup_elem(&count_key_space, &zero);
	__u64 one = 1, *n;

	if (!spec || !key || spec->nargs < 3)
		return 0;
	__builtin_memset(key, 0, sizeof(*key));
	key->pid = bpf_get_current_pid_tgid() >> 32;
	key->lineno = (__u32)fetch_arg(ctx, &spec->args[2]);
	bpf_probe_read_user_str(key->filename, sizeof(key->filename),
				(const void *)fetch_arg(ctx, &spec->args[0]));
	bpf_probe_read_user_str(key->funcname, sizeof(key->funcname),
				(const void *)fetch_arg(ctx, &spec->args[1]));
	n = bpf_map_lookup_elem(&call_counts, key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	if (bpf_map_update_elem(&call_counts, key, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&call_counts, key);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			count(PT_COUNT_FULL);
	}
	return 0;
}

/* Attached where it never (or once) runs, with a marker's semaphore as its
 * reference counter: raises that semaphore with no cost per marker hit. */
SEC("uprobe")
int semaphore_anchor(struct pt_regs *ctx)
{
	return 0;
}
