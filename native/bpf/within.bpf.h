/* The `within` filter: per thread, events only from the entry of a function
 * with a given name to its matching return, decided in the kernel so that
 * nothing outside leaves it. */
#ifndef PYTRACE_WITHIN_BPF_H
#define PYTRACE_WITHIN_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "usdt_event.h"
#include "maps.bpf.h"

/* Set before load. When within_len > 0, a thread's events are sent only from
 * the entry of a function named within_name to its matching return. */
const volatile __u32 within_len = 0;
const volatile char within_name[PT_WITHIN_MAX] = {};

/* Per thread: how many calls of the `within` function are open, and whether
 * the thread's last entry was one (3.15 fires an entry, and no return, when a
 * call only creates a generator: the creation uprobe then closes it). */
struct within_state {
	__u32 depth;
	__u32 last_entry_within;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct within_state);
} within_depth SEC(".maps");

/* Is the frame's function (string 1, after the filename) the `within` one? */
static __always_inline bool is_within_function(struct scratch *s)
{
	__u32 off = s->ev.str_len[0];

	if (s->ev.str_len[1] != within_len)
		return false;
#pragma unroll
	for (int i = 0; i < PT_WITHIN_MAX; i++) {
		if (i >= within_len)
			break;
		if (s->strings[(off + i) & SCRATCH_MASK] != within_name[i])
			return false;
	}
	return true;
}

/* The `within` filter: decided here so nothing outside leaves the kernel. */
static __always_inline bool within_passes(struct scratch *s, bool is_within)
{
	struct within_state st = {}, *open;
	__u32 tid = s->ev.tid;
	__u8 type = s->ev.type;
	bool closes = false, pass;

	if (!within_len)
		return true;
	open = bpf_map_lookup_elem(&within_depth, &tid);
	if (open)
		st = *open;
	if (type == PT_EV_FUNCTION_ENTRY) {
		if (is_within)
			st.depth++;
		st.last_entry_within = is_within;
		pass = st.depth > 0;
	} else if (type == PT_EV_FUNCTION_RETURN && st.depth && is_within) {
		closes = true;
		pass = true;
	} else if (type == PT_EV_GENERATOR_CREATED && st.last_entry_within && st.depth) {
		closes = true; /* the creation entry of the `within` function ends here */
		pass = true;
	} else {
		pass = st.depth > 0;
	}
	if (closes)
		st.depth--;
	if (type == PT_EV_FUNCTION_RETURN || type == PT_EV_GENERATOR_CREATED)
		st.last_entry_within = 0;
	if (st.depth || st.last_entry_within)
		bpf_map_update_elem(&within_depth, &tid, &st, BPF_ANY);
	else if (open)
		bpf_map_delete_elem(&within_depth, &tid);
	return pass;
}

#endif
