/* Stack sampling: on a CPU-clock perf event, if the thread on the CPU belongs
 * to a profiled process, walk its Python frames and send one struct
 * pt_sample. Walk: _PyRuntime -> interpreters -> thread states, to the one of
 * this thread (by tid from 3.11, by pthread_self = the fs base on 3.9/3.10),
 * then its current frame -> previous ..., innermost first. A walk that fails
 * is counted by reason (enum pt_sample_counter) and sends nothing.
 * Included by usdt_event.bpf.c after the ring, perf map and ns_ids. */
#ifndef PYTRACE_STACK_SAMPLER_BPF_H
#define PYTRACE_STACK_SAMPLER_BPF_H

#include <linux/bpf_perf_event.h>

/* The frame walker, reading the current task's memory (the sampled thread's). */
#define PT_WALK(name)			  name##_current
#define PT_READ(dst, size, address, task) bpf_probe_read_user((dst), (size), (void *)(address))
#include "frame_walk.bpf.h"
#undef PT_WALK
#undef PT_READ

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_PROFILED);
	__type(key, __u32);
	__type(value, struct pt_python_layout);
} profiled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_SAMPLE_COUNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sample_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_scratch);
} sample_scratch_space SEC(".maps");

static __always_inline void count_sample(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&sample_counters, &which);
	if (c)
		*c += 1;
}

/* The record of this sample in the scratch space, or NULL (counted). */
static __always_inline struct sample_scratch *build_sample(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid, zero = 0, failed;
	struct pt_python_layout *l;
	struct sample_scratch *s;
	bool fault = false;
	__u64 tstate;

	if (!tgid)
		return NULL; /* the idle task */
	l = bpf_map_lookup_elem(&profiled, &tgid);
	if (!l)
		return NULL;
	count_sample(PT_SAMPLES_TAKEN);
	s = bpf_map_lookup_elem(&sample_scratch_space, &zero);
	if (!s)
		return NULL;
	tstate = find_thread_state_current(l, (struct task_struct *)bpf_get_current_task(), tid, &fault);
	if (!tstate) {
		count_sample(fault ? PT_UNWIND_READ_FAULT : PT_UNWIND_NO_THREAD);
		return NULL;
	}
	failed = walk_frames_current(l, (struct task_struct *)bpf_get_current_task(), tstate, s);
	if (failed != PT_SAMPLE_COUNT_MAX) {
		count_sample(failed);
		return NULL;
	}
	if (s->hdr.flags & PT_SAMPLE_CUT)
		count_sample(PT_UNWIND_CUT);
	s->hdr.type = PT_EV_STACK_SAMPLE;
	s->hdr.pid = tgid;
	s->hdr.tid = tid;
	s->hdr.status = PT_SAMPLES_SENT;
	s->hdr.ts = bpf_ktime_get_ns();
	s->hdr.ns_pid = s->hdr.ns_tid = 0;
	if (ns_ids) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		s->hdr.ns_tid = innermost_id(task);
		s->hdr.ns_pid = innermost_id(BPF_CORE_READ(task, group_leader));
	}
	s->hdr.size = sizeof(struct pt_sample) + s->hdr.depth * sizeof(struct pt_sample_frame);
	return s;
}

SEC("perf_event")
int sample_to_ring(struct bpf_perf_event_data *ctx)
{
	struct sample_scratch *s = build_sample();
	__u64 flags = 0;
	__u32 size;

	if (!s)
		return 0;
	size = s->hdr.size;
	if (size > sizeof(*s))
		return 0;
	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes
				? BPF_RB_FORCE_WAKEUP
				: 0;
	if (bpf_ringbuf_output(&ring, s, size, flags)) {
		count(PT_COUNT_LOST);
		count_sample(PT_SAMPLES_LOST);
		return 0;
	}
	count_sample(PT_SAMPLES_SENT);
	return 0;
}

SEC("perf_event")
int sample_to_perf(struct bpf_perf_event_data *ctx)
{
	struct sample_scratch *s = build_sample();
	__u32 size;

	if (!s)
		return 0;
	size = s->hdr.size;
	if (size > sizeof(*s))
		return 0;
	if (bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, s, size)) {
		count(PT_COUNT_LOST);
		count_sample(PT_SAMPLES_LOST);
		return 0;
	}
	count_sample(PT_SAMPLES_SENT);
	return 0;
}

#endif
