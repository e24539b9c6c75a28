/* Call counts for a top-like view: kept in a map in the kernel, so that no
 * per-call record leaves it. Needs the spec map, fetch_arg() and count(). */
#ifndef PYTRACE_CALL_COUNTS_BPF_H
#define PYTRACE_CALL_COUNTS_BPF_H

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

#endif
