/* String arguments copied out of the target into the record, whole up to
 * PT_NAME_MAX bytes, and the name cache that spares most of those copies
 * (see usdt_event.bpf.c). */
#ifndef PYTRACE_STRINGS_BPF_H
#define PYTRACE_STRINGS_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "usdt_event.h"
#include "maps.bpf.h"

/* Set before load: use the name cache (needs the code-creation uprobe, and
 * records read in the order they were sent: the ring buffer's own order, or
 * the perf buffer's put back in time order by the reader; see usdt_to_perf). */
const volatile bool cache_names = false;

/* Direct-mapped: an array lookup costs far less than a hash map's (measured);
 * a collision only means names are sent again. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << PT_NAME_CACHE_BITS);
	__type(key, __u32);
	__type(value, struct pt_names_seen);
} names_seen SEC(".maps");

/* What the name cache learnt about a frame's names. */
struct frame_names {
	bool inlined;		   /* read now: cache them once the record is sent */
	bool is_within;		   /* the frame's function is the `within` one */
	struct pt_names_seen seen; /* the slot's content once the names are sent */
	__u32 slot;
};

static __always_inline __u64 names_check(const struct pt_names_seen *n)
{
	return n->filename ^ n->funcname ^ n->generation ^ n->pid ^ ((__u64)n->is_within << 32) ^ 0x5bd1e995;
}

/* Were this frame's names (arg 0 and 1) sent before, in this generation? */
static __always_inline bool names_sent(const struct pt_event *ev, struct frame_names *f)
{
	struct pt_names_seen *seen;

	f->seen.pid = ev->pid;
	f->seen.filename = ev->arg[0];
	f->seen.funcname = ev->arg[1];
	f->seen.generation = current_generation();
	f->slot = ((f->seen.funcname ^ (f->seen.filename << 7) ^ f->seen.pid) * 0x9E3779B97F4A7C15ULL) >>
		  (64 - PT_NAME_CACHE_BITS);
	seen = bpf_map_lookup_elem(&names_seen, &f->slot);
	if (seen && seen->funcname == f->seen.funcname && seen->filename == f->seen.filename &&
	    seen->pid == f->seen.pid && seen->generation == f->seen.generation &&
	    seen->check == names_check(seen)) {
		f->is_within = seen->is_within;
		return true;
	}
	return false;
}

/* After a record carrying a frame's names is sent: later ones may omit them. */
static __always_inline void remember_names(struct frame_names *f)
{
	struct pt_names_seen *slot;

	if (!cache_names || !f->inlined)
		return;
	slot = bpf_map_lookup_elem(&names_seen, &f->slot);
	if (!slot)
		return;
	f->seen.is_within = f->is_within;
	f->seen.check = names_check(&f->seen);
	*slot = f->seen;
}

/* Copies the location's string arguments after the header; returns the bytes
 * used. A string longer than PT_NAME_MAX keeps its first PT_NAME_MAX bytes. */
static __always_inline __u32 read_strings(struct scratch *s, const struct pt_spec *spec)
{
	__u32 used = 0;

#pragma unroll
	for (int i = 0; i < PT_MAX_ARGS; i++) {
		long n;

		if (i >= spec->nargs || !spec->args[i].is_string)
			continue;
		n = bpf_probe_read_user_str(&s->strings[used & SCRATCH_MASK], PT_NAME_READ,
					    (const void *)s->ev.arg[i]);
		if (n < 0 && s->ev.arg[i]) {
			s->ev.unread_mask |= 1 << i;
			continue;
		}
		/* n counts the NUL */
		n = n > 0 ? n - 1 : 0;
		if (n > PT_NAME_MAX) {
			n = PT_NAME_MAX;
			s->ev.truncated_mask |= 1 << i;
		}
		s->ev.str_len[i] = n;
		s->ev.string_mask |= 1 << i;
		used += n;
	}
	return used;
}

#endif
