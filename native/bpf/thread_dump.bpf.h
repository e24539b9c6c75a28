/* Dump: every thread of one process, running or blocked, walked now. A
 * sleepable task iterator (attached for that process's threads only) reads
 * each thread's memory with bpf_copy_from_user_task, through the same frame
 * walker as sampling, and writes one struct pt_sample per thread to the
 * iterator's file; `status` says why a thread has no stack. Included by
 * usdt_event.bpf.c after stack_sampler.bpf.h (its `profiled` map). */
#ifndef PYTRACE_THREAD_DUMP_BPF_H
#define PYTRACE_THREAD_DUMP_BPF_H

#define PT_WALK(name)			  name##_task
#define PT_READ(dst, size, address, task) bpf_copy_from_user_task((dst), (size), (void *)(address), (task), 0)
#include "frame_walk.bpf.h"
#undef PT_WALK
#undef PT_READ

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

struct task_struct___dump {
	int pid;
	int tgid;
	unsigned int __state; /* Linux 5.14+ */
} __attribute__((preserve_access_index));

struct task_struct___dump_old {
	long state; /* before 5.14 */
} __attribute__((preserve_access_index));

/* TASK_RUNNING: on a CPU or waiting for one (what /proc's "R" says). */
static __always_inline bool task_running(struct task_struct *task)
{
	struct task_struct___dump *t = (void *)task;
	struct task_struct___dump_old *old = (void *)task;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state) == 0;
	return BPF_CORE_READ(old, state) == 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_scratch);
} dump_scratch_space SEC(".maps");

SEC("iter.s/task")
int dump_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_struct___dump *t = (void *)task;
	struct pt_python_layout *l;
	struct sample_scratch *s;
	__u32 tgid, tid, zero = 0, status = PT_SAMPLES_SENT, size;
	bool fault = false;
	__u64 tstate;

	if (!task)
		return 0;
	tgid = BPF_CORE_READ(t, tgid);
	tid = BPF_CORE_READ(t, pid);
	l = bpf_map_lookup_elem(&profiled, &tgid);
	s = bpf_map_lookup_elem(&dump_scratch_space, &zero);
	if (!l || !s)
		return 0;
	s->hdr.flags = 0;
	s->hdr.depth = 0;
	tstate = find_thread_state_task(l, task, tid, &fault);
	if (!tstate)
		status = fault ? PT_UNWIND_READ_FAULT : PT_UNWIND_NO_THREAD;
	else
		status = walk_frames_task(l, task, tstate, s);
	if (status == PT_SAMPLE_COUNT_MAX)
		status = PT_SAMPLES_SENT;
	else
		s->hdr.depth = 0;
	/* A profile's idle sampling leaves running threads to the CPU-clock sampler. */
	if (task_running(task))
		s->hdr.flags |= PT_SAMPLE_ON_CPU;
	s->hdr.type = PT_EV_STACK_SAMPLE;
	s->hdr.status = status;
	s->hdr.pid = tgid;
	s->hdr.tid = tid;
	s->hdr.ts = bpf_ktime_get_ns();
	s->hdr.ns_tid = innermost_id(task);
	s->hdr.ns_pid = innermost_id(BPF_CORE_READ(task, group_leader));
	size = sizeof(struct pt_sample) + s->hdr.depth * sizeof(struct pt_sample_frame);
	if (size > sizeof(*s))
		return 0;
	s->hdr.size = size;
	bpf_seq_write(ctx->meta->seq, s, size);
	return 0;
}

#endif
