/* Call counts for a top-like view: kept in a map in the kernel, so that no
 * per-call record leaves it. Counted by the frame's name addresses in the
 * current code generation (see the name cache in usdt_event.bpf.c): a call
 * reads no string, and the names are read once per (pid, address,
 * generation) into the count_names maps, whole up to PT_NAME_MAX bytes. */
#ifndef PYTRACE_CALL_COUNTS_BPF_H
#define PYTRACE_CALL_COUNTS_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "usdt_event.h"
#include "maps.bpf.h"
#include "usdt_args.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_COUNTS);
	__type(key, struct pt_count_key);
	__type(value, __u64);
} call_counts SEC(".maps");

/* Names by (pid, address, generation); allocated as they come. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_SHORT_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pt_name_key);
	__type(value, struct pt_short_name);
} count_short_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_LONG_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pt_name_key);
	__type(value, struct pt_name);
} count_long_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_name);
} count_name_space SEC(".maps");

/* Makes sure the name at `address` is in a count_names map; false when it
 * could not be stored (the maps are full). */
static __always_inline bool keep_name(__u32 pid, __u64 generation, __u64 address)
{
	struct pt_name_key key = {.address = address, .generation = generation, .pid = pid};
	__u32 zero = 0;
	struct pt_name *name;
	long n;

	if (bpf_map_lookup_elem(&count_short_names, &key) || bpf_map_lookup_elem(&count_long_names, &key))
		return true;
	name = bpf_map_lookup_elem(&count_name_space, &zero);
	if (!name)
		return false;
	n = bpf_probe_read_user_str(name->bytes, sizeof(name->bytes), (const void *)address);
	name->flags = 0;
	if (n < 0) {
		n = 0;
		name->flags = PT_NAME_UNREAD;
	} else if (n > 0) {
		n--; /* the NUL */
	}
	if (n > PT_NAME_MAX) {
		n = PT_NAME_MAX;
		name->flags |= PT_NAME_TRUNCATED;
	}
	name->len = n;
	/* a short name's value is the start of the long one's */
	if (n < PT_SHORT_NAME)
		return !bpf_map_update_elem(&count_short_names, &key, name, BPF_NOEXIST) ||
		       bpf_map_lookup_elem(&count_short_names, &key);
	return !bpf_map_update_elem(&count_long_names, &key, name, BPF_NOEXIST) ||
	       bpf_map_lookup_elem(&count_long_names, &key);
}

/* Counts calls per (pid, file, line, function). Attached to function__entry. */
SEC("uprobe")
int usdt_count(struct pt_regs *ctx)
{
	__u32 id = spec_id(ctx);
	struct pt_spec *spec = bpf_map_lookup_elem(&specs, &id);
	struct pt_count_key key = {};
	__u64 one = 1, *n;

	if (!spec || spec->nargs < 3)
		return 0;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.lineno = (__u32)fetch_arg(ctx, &spec->args[2]);
	key.generation = current_generation();
	key.filename = fetch_arg(ctx, &spec->args[0]);
	key.funcname = fetch_arg(ctx, &spec->args[1]);
	n = bpf_map_lookup_elem(&call_counts, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	if (!keep_name(key.pid, key.generation, key.filename) ||
	    !keep_name(key.pid, key.generation, key.funcname)) {
		count(PT_COUNT_FULL);
		return 0;
	}
	if (bpf_map_update_elem(&call_counts, &key, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&call_counts, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			count(PT_COUNT_FULL);
	}
	return 0;
}

#endif
