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

/* tid -> its thread state, as last found: checked at each use (the id it
 * holds must still be this thread's), so a stale entry only costs a walk. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} thread_states SEC(".maps");

/* Its own scratch: a sample may interrupt a marker record being built. */
struct sample_scratch {
	struct pt_sample hdr;
	struct pt_sample_frame frames[PT_STACK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_scratch);
} sample_scratch_space SEC(".maps");

/* x86-64: pthread_self() is the thread's TCB, its fs base (CO-RE: relocated to this kernel's layout). */
struct thread_struct___pt {
	unsigned long fsbase;
} __attribute__((preserve_access_index));

struct task_struct___pt {
	struct thread_struct___pt thread;
} __attribute__((preserve_access_index));

static __always_inline void count_sample(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&sample_counters, &which);
	if (c)
		*c += 1;
}

/* *(u64 *)(base + off) of the current task; false on a fault. */
static __always_inline bool read_field(__u64 base, __u16 off, __u64 *out)
{
	return bpf_probe_read_user(out, sizeof(*out), (void *)(base + off)) == 0;
}

static __always_inline __u64 thread_key(const struct pt_python_layout *l)
{
	/* The interpreter knows its threads by the tid of its own PID namespace (a container's). */
	if (!l->match_fsbase)
		return innermost_id((struct task_struct *)bpf_get_current_task());
#ifdef __TARGET_ARCH_x86
	{
		struct task_struct___pt *task = (void *)bpf_get_current_task();

		if (bpf_core_field_exists(task->thread.fsbase))
			return BPF_CORE_READ(task, thread.fsbase);
	}
#endif
	return 0; /* no way to know the pthread here: no thread state will match */
}

struct thread_search {
	const struct pt_python_layout *l;
	__u64 key;
	__u64 t; /* the thread state looked at; the match when found */
	__u16 id_off;
	bool found;
};

/* One thread state of the list (bpf_loop keeps the verifier's work per step, not per walk). */
static long thread_step(__u32 i, void *arg)
{
	struct thread_search *ts = arg;
	__u64 id = 0;

	if (!ts->t || !read_field(ts->t, ts->id_off, &id))
		return 1;
	if (id == ts->key) {
		ts->found = true;
		return 1;
	}
	if (!read_field(ts->t, ts->l->thread_next, &ts->t))
		return 1;
	return 0;
}

/* The sampled thread's PyThreadState, or 0 (*fault set when memory could not be read). */
static __always_inline __u64 find_thread_state(const struct pt_python_layout *l, __u32 tid, bool *fault)
{
	struct thread_search ts = {.l = l, .key = thread_key(l)};
	__u64 interp = 0, id = 0;
	__u64 *cached = bpf_map_lookup_elem(&thread_states, &tid);

	ts.id_off = l->match_fsbase ? l->thread_id : l->thread_native_id;
	if (!ts.key || ts.id_off == PT_OFFSET_NONE)
		return 0;
	if (cached && read_field(*cached, ts.id_off, &id) && id == ts.key)
		return *cached;
	if (!read_field(l->runtime, l->interpreters_head, &interp)) {
		*fault = true;
		return 0;
	}
	for (int i = 0; i < PT_MAX_INTERPRETERS && interp; i++) {
		if (!read_field(interp, l->interp_threads_head, &ts.t))
			break;
		bpf_loop(PT_MAX_THREADS, thread_step, &ts, 0);
		if (ts.found) {
			bpf_map_update_elem(&thread_states, &tid, &ts.t, BPF_ANY);
			return ts.t;
		}
		if (!read_field(interp, l->interp_next, &interp))
			break;
	}
	return 0;
}

/* Byte offset of the frame's instruction in its code (see enum pt_instruction_kind). */
static __always_inline bool instruction_offset(const struct pt_python_layout *l, __u64 frame, __u64 code,
					       __s64 *out)
{
	if (l->instruction_kind == PT_INSTR_POINTER) {
		__u64 p = 0;

		if (!read_field(frame, l->frame_instruction, &p))
			return false;
		*out = (__s64)(p - (code + l->code_units));
		return true;
	}
	int lasti = 0;

	if (bpf_probe_read_user(&lasti, sizeof(lasti), (void *)(frame + l->frame_instruction)))
		return false;
	*out = l->instruction_kind == PT_INSTR_LASTI_UNITS && lasti >= 0 ? (__s64)lasti * 2 : lasti;
	return true;
}

struct frame_walk {
	const struct pt_python_layout *l;
	struct sample_scratch *s;
	__u64 frame;
	__u32 depth;
	__u32 failed; /* a counter of enum pt_sample_counter; PT_SAMPLE_COUNT_MAX: none */
};

/* One link of the frame chain. */
static long frame_step(__u32 i, void *arg)
{
	struct frame_walk *w = arg;
	const struct pt_python_layout *l = w->l;
	__u64 frame = w->frame, code = 0, type = 0;
	__u32 depth = w->depth;

	if (!frame)
		return 1;
	if (depth >= PT_STACK_MAX) {
		w->s->hdr.flags |= PT_SAMPLE_CUT;
		return 1;
	}
	if (l->frame_owner != PT_OFFSET_NONE && l->not_python_owner != 0xff) {
		__u8 owner = 0;

		if (bpf_probe_read_user(&owner, 1, (void *)(frame + l->frame_owner)))
			goto fault;
		if (owner >= l->not_python_owner) /* a shim frame: C stack or interpreter entry */
			goto next;
	}
	if (!read_field(frame, l->frame_code, &code))
		goto fault;
	code &= ~(__u64)l->code_tag_bits;
	if (!read_field(code, l->object_type, &type))
		goto fault;
	if (type != l->code_type) {
		w->failed = PT_UNWIND_NOT_CODE;
		return 1;
	}
	w->s->frames[depth].code = code;
	if (!instruction_offset(l, frame, code, &w->s->frames[depth].offset))
		goto fault;
	w->depth = depth + 1;
next:
	if (!read_field(frame, l->frame_previous, &w->frame))
		goto fault;
	return 0;
fault:
	w->failed = PT_UNWIND_READ_FAULT;
	return 1;
}

/* Fills s->frames from the thread state's current frame; the counter to
 * bump on failure, or PT_SAMPLE_COUNT_MAX when the sample is good. */
static __always_inline __u32 walk_frames(const struct pt_python_layout *l, __u64 tstate,
					 struct sample_scratch *s)
{
	struct frame_walk w = {.l = l, .s = s, .failed = PT_SAMPLE_COUNT_MAX};

	if (!read_field(tstate, l->thread_frame, &w.frame))
		return PT_UNWIND_READ_FAULT;
	if (l->cframe_current_frame != PT_OFFSET_NONE && w.frame &&
	    !read_field(w.frame, l->cframe_current_frame, &w.frame))
		return PT_UNWIND_READ_FAULT;
	s->hdr.flags = 0;
	bpf_loop(PT_STACK_MAX + PT_WALK_EXTRA, frame_step, &w, 0);
	if (w.failed != PT_SAMPLE_COUNT_MAX)
		return w.failed;
	if (w.frame)
		s->hdr.flags |= PT_SAMPLE_CUT; /* deeper than the walk goes */
	if (!w.depth)
		return PT_UNWIND_EMPTY;
	s->hdr.depth = w.depth;
	return PT_SAMPLE_COUNT_MAX;
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
	tstate = find_thread_state(l, tid, &fault);
	if (!tstate) {
		count_sample(fault ? PT_UNWIND_READ_FAULT : PT_UNWIND_NO_THREAD);
		return NULL;
	}
	failed = walk_frames(l, tstate, s);
	if (failed != PT_SAMPLE_COUNT_MAX) {
		count_sample(failed);
		return NULL;
	}
	if (s->hdr.flags & PT_SAMPLE_CUT)
		count_sample(PT_UNWIND_CUT);
	s->hdr.type = PT_EV_STACK_SAMPLE;
	s->hdr.pid = tgid;
	s->hdr.tid = tid;
	s->hdr.pad = 0;
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
