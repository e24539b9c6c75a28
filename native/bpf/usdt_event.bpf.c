// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One program serves every marker location: the uprobe's cookie selects the
 * location's spec (event type and how to fetch each argument), the program
 * fetches the arguments, copies string arguments out, and sends one record.
 *
 * Name cache: reading a string from the target costs more than everything
 * else in the program together (about 150 ns a read, measured), and a frame's
 * file and function names repeat. So a frame's names are sent once per
 * (pid, filename address, funcname address) and the reader keeps them. An
 * address can be freed and reused for another name; but a name a code object
 * points to exists before that code object is created, so a reused address
 * can only appear in events of a code object created after the reuse. Every
 * code object creation bumps a generation (a uprobe on the interpreter's code
 * constructor), and a cached entry is trusted only in its own generation.
 * (Not covered: a non-ASCII name's UTF-8 copy, made lazily at the first event,
 * landing on an address freed since the last creation.) */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "usdt_event.h"

/* See struct scratch. */
#define SCRATCH_MASK 1023
_Static_assert(PT_MAX_ARGS * PT_STR_MAX <= SCRATCH_MASK, "strings fit under the mask");

#include "usdt_args.bpf.h"
#include "namespace_ids.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load. Ring buffer: force a wake-up of the reader once this many
 * bytes are pending (0: let the kernel decide at every record). */
const volatile __u64 wakeup_bytes = 0;

/* Set before load: use the name cache (needs the code-creation uprobe and a
 * transport that keeps records in order across CPUs: the ring buffer). */
const volatile bool cache_names = false;

/* Direct-mapped: an array lookup costs far less than a hash map's (measured);
 * a collision only means names are sent again. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << PT_NAME_CACHE_BITS);
	__type(key, __u32);
	__type(value, struct pt_names_seen);
} names_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_GEN_MAX);
	__type(key, __u32);
	__type(value, __u64);
} generation SEC(".maps");

/* Set before load: fill in the ids the process sees in its PID namespace. */
const volatile bool ns_ids = false;

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
	/* Twice what a record holds: offsets masked with SCRATCH_MASK stay inside,
	 * which the verifier can follow where it loses a bounds check. */
	char strings[2 * SCRATCH_MASK + 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_space SEC(".maps");

#include "audit_args.bpf.h"
#include "within.bpf.h"

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
}

static __always_inline __u64 current_generation(void)
{
	__u32 code = PT_GEN_CODE, reader = PT_GEN_READER;
	__u64 *a = bpf_map_lookup_elem(&generation, &code);
	__u64 *b = bpf_map_lookup_elem(&generation, &reader);

	return (a ? *a : 0) + (b ? *b : 0);
}

/* What build_event() learnt besides the record itself. */
struct built {
	__u32 size;
	bool track_only;      /* feeds `within`, is not sent */
	bool names_inlined;   /* a frame's names were read: cache them once sent */
	bool is_within;       /* the frame's function is the `within` one */
	struct pt_names_seen names;  /* the slot's content once the names are sent */
	__u32 slot;
};

static __always_inline __u64 names_check(const struct pt_names_seen *n)
{
	return n->filename ^ n->funcname ^ n->generation ^ n->pid ^ ((__u64)n->is_within << 32) ^ 0x5bd1e995;
}

/* Builds the record for this location in the per-CPU scratch space; returns
 * NULL when there is nothing to send. */
static __always_inline struct scratch *build_event(struct pt_regs *ctx, struct built *b)
{
	__u32 zero = 0, id = (__u32)bpf_get_attach_cookie(ctx);
	struct pt_spec *spec = bpf_map_lookup_elem(&specs, &id);
	struct scratch *s = bpf_map_lookup_elem(&scratch_space, &zero);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	bool frame, read_strings = true;
	__u32 used = 0;

	if (!spec || !s || !spec->event_type)
		return NULL;
	s->ev.type = spec->event_type;
	s->ev.string_mask = 0;
	s->ev.pid = pid_tgid >> 32;
	s->ev.tid = (__u32)pid_tgid;
	s->ev.str_len[0] = s->ev.str_len[1] = s->ev.str_len[2] = 0;
	s->ev.unread_mask = 0;
	s->ev.ts = bpf_ktime_get_ns();
	s->ev.ns_pid = s->ev.ns_tid = 0;
	if (ns_ids) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		s->ev.ns_tid = innermost_id(task);
		s->ev.ns_pid = innermost_id(BPF_CORE_READ(task, group_leader));
	}
#pragma unroll
	for (int i = 0; i < PT_MAX_ARGS; i++)
		s->ev.arg[i] = i < spec->nargs ? fetch_arg(ctx, &spec->args[i]) : 0;

	frame = spec->event_type <= PT_EV_LINE && spec->nargs >= 2;
	if (cache_names && frame) {
		struct pt_names_seen *seen;

		b->names.pid = s->ev.pid;
		b->names.filename = s->ev.arg[0];
		b->names.funcname = s->ev.arg[1];
		b->names.generation = current_generation();
		b->slot = ((b->names.funcname ^ (b->names.filename << 7) ^ b->names.pid) * 0x9E3779B97F4A7C15ULL) >>
			  (64 - PT_NAME_CACHE_BITS);
		seen = bpf_map_lookup_elem(&names_seen, &b->slot);
		if (seen && seen->funcname == b->names.funcname && seen->filename == b->names.filename &&
		    seen->pid == b->names.pid && seen->generation == b->names.generation &&
		    seen->check == names_check(seen)) {
			read_strings = false;
			b->is_within = seen->is_within;
		}
	}
	if (read_strings) {
#pragma unroll
		for (int i = 0; i < PT_MAX_ARGS; i++) {
			long n;

			if (i >= spec->nargs || !spec->args[i].is_string)
				continue;
			if (used > (PT_MAX_ARGS - 1) * PT_STR_MAX)
				return NULL;
			n = bpf_probe_read_user_str(&s->strings[used], PT_STR_MAX, (const void *)s->ev.arg[i]);
			if (n < 0 && s->ev.arg[i]) {
				s->ev.unread_mask |= 1 << i;
				continue;
			}
			/* n counts the NUL */
			n = n > 0 ? n - 1 : 0;
			if (n > PT_STR_MAX - 1)
				n = PT_STR_MAX - 1;
			s->ev.str_len[i] = n;
			s->ev.string_mask |= 1 << i;
			used += n;
		}
		b->names_inlined = frame && !s->ev.unread_mask;
		if (frame && within_len)
			b->is_within = is_within_function(s);
	}
	if (spec->event_type == PT_EV_AUDIT) {
		struct pt_audit_layout *layout = bpf_map_lookup_elem(&audit_layouts, &id);

		if (layout && layout->enabled && spec->nargs >= 2)
			used = append_audit_args(ctx, s, used, layout);
		else
			s->ev.arg[1] = -1, s->ev.arg[2] = 0; /* not read */
	}
	if (used > PT_MAX_ARGS * PT_STR_MAX)
		return NULL;
	s->ev.size = sizeof(struct pt_event) + used;
	b->size = sizeof(struct pt_event) + used;
	b->track_only = spec->track_only;
	return s;
}

/* After a record carrying a frame's names is sent: later ones may omit them. */
static __always_inline void remember_names(struct built *b)
{
	struct pt_names_seen *slot;

	if (!cache_names || !b->names_inlined)
		return;
	slot = bpf_map_lookup_elem(&names_seen, &b->slot);
	if (!slot)
		return;
	b->names.is_within = b->is_within;
	b->names.check = names_check(&b->names);
	*slot = b->names;
}

SEC("uprobe")
int usdt_to_ring(struct pt_regs *ctx)
{
	struct built b = {};
	struct scratch *s = build_event(ctx, &b);
	__u64 flags = 0;

	if (!s || !within_passes(s, b.is_within) || b.track_only)
		return 0;
	if (wakeup_bytes)
		/* 0: the kernel wakes the reader only if it had caught up (at a low
		 * rate: at once); the reader spaces its drains (see poll_thread.cc). */
		flags = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + b.size >= wakeup_bytes
			? BPF_RB_FORCE_WAKEUP : 0;
	if (b.size > sizeof(struct scratch))
		return 0;
	if (bpf_ringbuf_output(&ring, s, b.size, flags)) {
		count(PT_COUNT_LOST);
		return 0;
	}
	remember_names(&b);
	return 0;
}

SEC("uprobe")
int usdt_to_perf(struct pt_regs *ctx)
{
	struct built b = {};
	struct scratch *s = build_event(ctx, &b);

	if (!s || !within_passes(s, b.is_within) || b.track_only)
		return 0;
	if (b.size > sizeof(struct scratch))
		return 0;
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, s, b.size))
		count(PT_COUNT_LOST);
	return 0;
}

/* On the interpreter's code object constructor: see the name cache above. */
SEC("uprobe")
int code_created(struct pt_regs *ctx)
{
	__u32 code = PT_GEN_CODE;
	__u64 *g = bpf_map_lookup_elem(&generation, &code);

	if (g)
		__sync_fetch_and_add(g, 1);
	return 0;
}

#include "call_counts.bpf.h"
#include "process_events.bpf.h"

/* Attached where it never (or once) runs, with a marker's semaphore as its
 * reference counter: raises that semaphore with no cost per marker hit. */
SEC("uprobe")
int semaphore_anchor(struct pt_regs *ctx)
{
	return 0;
}
