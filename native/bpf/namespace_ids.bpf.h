/* The ids a task has in its own PID namespace (a container's), read from the
 * kernel's task and pid structures. */
#ifndef PYTRACE_NAMESPACE_IDS_BPF_H
#define PYTRACE_NAMESPACE_IDS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Just the kernel fields read below; libbpf relocates them with the kernel's BTF. */
struct upid {
	int nr;
} __attribute__((preserve_access_index));

struct pid {
	unsigned int level;
	struct upid numbers[1];
} __attribute__((preserve_access_index));

struct task_struct {
	struct pid *thread_pid;
	struct task_struct *group_leader;
} __attribute__((preserve_access_index));

/* The id a task has in its innermost PID namespace. */
static __always_inline __u32 innermost_id(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	bpf_probe_read_kernel(&nr, sizeof(nr),
			      (char *)&pid->numbers[0].nr + (level & 31) * bpf_core_type_size(struct upid));
	return nr;
}

#endif
