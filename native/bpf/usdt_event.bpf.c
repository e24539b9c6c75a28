// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One program serves every marker location: the uprobe's cookie (or its
 * address, see spec_id()) selects the location's spec (event type and how to
 * fetch each argument), the program
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
#include "maps.bpf.h"
#include "usdt_args.bpf.h"
#include "strings.bpf.h"
#include "namespace_ids.bpf.h"
#include "audit_args.bpf.h"
#include "within.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load. Ring buffer: force a wake-up of the reader once this many
 * bytes are pending (0: let the kernel decide at every record). */
const volatile __u64 wakeup_bytes = 0;

/* Set before load: fill in the ids the process sees in its PID namespace. */
const volatile bool ns_ids = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized before load */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

/* What build_event() learnt besides the record itself. */
struct built {
	__u32 size;
	bool track_only; /* feeds `within`, is not sent */
	struct frame_names names;
};

/* The record's fixed part: who, when, and the arguments as fetched. */
static __always_inline void fill_header(struct pt_regs *ctx, const struct pt_spec *spec, struct pt_event *ev)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	ev->type = spec->event_type;
	ev->string_mask = ev->unread_mask = ev->truncated_mask = 0;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->str_len[0] = ev->str_len[1] = ev->str_len[2] = 0;
	ev->ts = bpf_ktime_get_ns();
	ev->ns_pid = ev->ns_tid = 0;
	if (ns_ids) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		ev->ns_tid = innermost_id(task);
		ev->ns_pid = innermost_id(BPF_CORE_READ(task, group_leader));
	}
	fetch_args(ctx, spec, ev);
}

/* Builds the record for this location in the per-CPU scratch space: header
 * and arguments, then the strings (unless the frame's names were sent
 * already), then an audit event's tuple items. NULL: nothing to send. */
static __always_inline struct scratch *build_event(struct pt_regs *ctx, struct built *b)
{
	__u32 zero = 0, id = spec_id(ctx);
	struct pt_spec *spec = bpf_map_lookup_elem(&specs, &id);
	struct scratch *s = bpf_map_lookup_elem(&scratch_space, &zero);
	bool frame;
	__u32 used = 0;

	if (!spec || !s || !spec->event_type)
		return NULL;
	fill_header(ctx, spec, &s->ev);
	frame = spec->event_type <= PT_EV_LINE && spec->nargs >= 2;
	if (!(cache_names && frame && names_sent(&s->ev, &b->names))) {
		used = read_strings(s, spec);
		b->names.inlined = frame && !s->ev.unread_mask;
		if (frame && within_len)
			b->names.is_within = is_within_function(s);
	}
	if (spec->event_type == PT_EV_AUDIT) {
		struct pt_audit_layout *layout = bpf_map_lookup_elem(&audit_layouts, &id);

		if (layout && layout->enabled && spec->nargs >= 2)
			used = append_audit_args(ctx, id, used);
		else
			s->ev.arg[1] = -1, s->ev.arg[2] = 0; /* not read */
	}
	if (used > PT_INLINE_MAX)
		return NULL;
	s->ev.size = sizeof(struct pt_event) + used;
	b->size = sizeof(struct pt_event) + used;
	b->track_only = spec->track_only;
	return s;
}

SEC("uprobe")
int usdt_to_ring(struct pt_regs *ctx)
{
	struct built b = {};
	struct scratch *s = build_event(ctx, &b);
	__u64 flags = 0;

	if (!s || !within_passes(s, b.names.is_within) || b.track_only)
		return 0;
	if (wakeup_bytes)
		/* 0: the kernel wakes the reader only if it had caught up (at a low
		 * rate: at once); the reader spaces its drains (see poll_thread.cc). */
		flags = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + b.size >= wakeup_bytes
				? BPF_RB_FORCE_WAKEUP
				: 0;
	if (b.size > sizeof(struct scratch))
		return 0;
	if (bpf_ringbuf_output(&ring, s, b.size, flags)) {
		count(PT_COUNT_LOST);
		return 0;
	}
	remember_names(&b.names);
	return 0;
}

SEC("uprobe")
int usdt_to_perf(struct pt_regs *ctx)
{
	struct built b = {};
	struct scratch *s = build_event(ctx, &b);

	if (!s || !within_passes(s, b.names.is_within) || b.track_only)
		return 0;
	/* The reader sorts perf records by time. A record that omits names a
	 * cache hit vouched for must sort after the record that carried them:
	 * that one was sent before its slot was filled, so stamping this one after
	 * the lookup (not before, as build_event does) is enough. */
	if (cache_names)
		s->ev.ts = bpf_ktime_get_ns();
	if (b.size > sizeof(struct scratch))
		return 0;
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, s, b.size)) {
		count(PT_COUNT_LOST);
		return 0;
	}
	remember_names(&b.names);
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
#include "stack_sampler.bpf.h"
#include "thread_dump.bpf.h"

/* Attached where it never (or once) runs, with a marker's semaphore as its
 * reference counter: raises that semaphore with no cost per marker hit. */
SEC("uprobe")
int semaphore_anchor(struct pt_regs *ctx)
{
	return 0;
}
