/* The frame walker, one for sampling and dump: _PyRuntime -> interpreters ->
 * thread states, to the one of a thread (by its tid in its own PID namespace
 * from 3.11, by pthread_self = its fs base on 3.9/3.10), then current frame
 * -> previous ..., innermost first, into a struct sample_scratch.
 *
 * The walk is the same; how memory is read is not: the current task's
 * (bpf_probe_read_user, any program) or another task's
 * (bpf_copy_from_user_task, sleepable programs only). So the functions
 * below are a template, included once per reader with PT_WALK(name) naming
 * its copy and PT_READ(dst, size, address, task) reading. No include guard
 * for that part. */
#ifndef PYTRACE_FRAME_WALK_TYPES
#define PYTRACE_FRAME_WALK_TYPES

/* Its own scratch per program kind: a sample may interrupt a marker record,
 * or a dump, being built on the same CPU. */
struct sample_scratch {
	struct pt_sample hdr;
	struct pt_sample_frame frames[PT_STACK_MAX];
	/* Not sent: the frame and the code object being looked at (their windows). */
	__u8 frame[PT_FRAME_WINDOW];
	__u8 code[PT_CODE_WINDOW];
};

/* tid -> its thread state, as last found: checked at each use (the id it
 * holds must still be this thread's), so a stale entry only costs a walk. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} thread_states SEC(".maps");

/* x86-64: pthread_self() is the thread's TCB, its fs base (CO-RE: relocated to this kernel's layout). */
struct thread_struct___fsbase {
	unsigned long fsbase;
} __attribute__((preserve_access_index));

struct task_struct___fsbase {
	struct thread_struct___fsbase thread;
} __attribute__((preserve_access_index));

static __always_inline __u64 thread_key(const struct pt_python_layout *l, struct task_struct *task)
{
	/* The interpreter knows its threads by the tid of its own PID namespace (a container's). */
	if (!l->match_fsbase)
		return innermost_id(task);
#ifdef __TARGET_ARCH_x86
	{
		struct task_struct___fsbase *t = (void *)task;

		if (bpf_core_field_exists(t->thread.fsbase))
			return BPF_CORE_READ(t, thread.fsbase);
	}
#endif
	return 0; /* no way to know the pthread here: no thread state will match */
}

struct thread_search {
	const struct pt_python_layout *l;
	struct task_struct *task; /* whose memory is read; NULL: the current task's */
	__u64 key;
	__u64 t; /* the thread state looked at; the match when found */
	__u16 id_off;
	bool found;
};

struct frame_walk {
	const struct pt_python_layout *l;
	struct task_struct *task;
	struct sample_scratch *s;
	__u64 frame;
	__u32 depth;
	__u32 failed; /* a counter of enum pt_sample_counter; PT_SAMPLE_COUNT_MAX: none */
	/* The data stack check (layout's datastack_top given): where the next frame owned by
	 * the thread must end, and the chunk that holds it (its address, its first word). */
	bool check_datastack;
	__u64 expected_end;
	__u64 chunk;
	__u64 chunk_start;
};

/* enum _frameowner's FRAME_OWNED_BY_THREAD (3.11+): a frame in the thread's data stack. */
#define PT_FRAME_OWNED_BY_THREAD 0

/* A field of a window (PT_CODE_WINDOW = PT_FRAME_WINDOW bytes) at its offset
 * there (bounded for the verifier; kernel-layout.ts puts every field inside,
 * so the bound never bites). */
static __always_inline __u64 window_u64(const __u8 *window, __u32 off)
{
	if (off > PT_CODE_WINDOW - sizeof(__u64))
		return 0;
	return *(const __u64 *)(window + off);
}

static __always_inline __s32 window_s32(const __u8 *window, __u32 off)
{
	if (off > PT_CODE_WINDOW - sizeof(__s32))
		return -1;
	return *(const __s32 *)(window + off);
}

static __always_inline __u8 window_u8(const __u8 *window, __u32 off)
{
	if (off > PT_CODE_WINDOW - 1)
		return 0xff;
	return window[off];
}

#define code_u64(s, off) window_u64((s)->code, off)
#define code_s32(s, off) window_s32((s)->code, off)
/* A frame field, by its offset in the frame. */
#define frame_u64(s, l, off) window_u64((s)->frame, (__u32)(off) - (l)->frame_window_start)
#define frame_s32(s, l, off) window_s32((s)->frame, (__u32)(off) - (l)->frame_window_start)
#define frame_u8(s, l, off)  window_u8((s)->frame, (__u32)(off) - (l)->frame_window_start)

static __always_inline __u32 identity_mix(__u32 h, __u64 v)
{
	return h * 0x9e3779b1u ^ ((__u32)v ^ (__u32)(v >> 32));
}

/* Byte offset of the frame's instruction in its code (see enum pt_instruction_kind). */
static __always_inline __s32 instruction_offset(const struct pt_python_layout *l,
						const struct sample_scratch *s, __u64 code)
{
	if (l->instruction_kind == PT_INSTR_POINTER)
		/* code is far under 2 GiB */
		return (__s32)(frame_u64(s, l, l->frame_instruction) - (code + l->code_units));
	__s32 lasti = frame_s32(s, l, l->frame_instruction);

	return l->instruction_kind == PT_INSTR_LASTI_UNITS && lasti >= 0 ? lasti * 2 : lasti;
}

#endif

/* *(u64 *)(base + off) in the task's memory; false on a fault. */
static __always_inline bool PT_WALK(read_field)(struct task_struct *task, __u64 base, __u16 off, __u64 *out)
{
	return PT_READ(out, sizeof(*out), base + off, task) == 0;
}

/* One thread state of the list (bpf_loop keeps the verifier's work per step, not per walk). */
static long PT_WALK(thread_step)(__u32 i, void *arg)
{
	struct thread_search *ts = arg;
	__u64 id = 0;

	if (!ts->t || !PT_WALK(read_field)(ts->task, ts->t, ts->id_off, &id))
		return 1;
	if (id == ts->key) {
		ts->found = true;
		return 1;
	}
	if (!PT_WALK(read_field)(ts->task, ts->t, ts->l->thread_next, &ts->t))
		return 1;
	return 0;
}

/* The sampled thread's PyThreadState, or 0 (*fault set when memory could not be read). */
static __always_inline __u64 PT_WALK(find_thread_state)(const struct pt_python_layout *l,
							struct task_struct *task, __u32 tid, bool *fault)
{
	struct thread_search ts = {.l = l, .task = task, .key = thread_key(l, task)};
	__u64 interp = 0, id = 0;
	__u64 *cached = bpf_map_lookup_elem(&thread_states, &tid);

	ts.id_off = l->match_fsbase ? l->thread_id : l->thread_native_id;
	if (!ts.key || ts.id_off == PT_OFFSET_NONE)
		return 0;
	if (cached && PT_WALK(read_field)(task, *cached, ts.id_off, &id) && id == ts.key)
		return *cached;
	if (!PT_WALK(read_field)(task, l->runtime, l->interpreters_head, &interp)) {
		*fault = true;
		return 0;
	}
	for (int i = 0; i < PT_MAX_INTERPRETERS && interp; i++) {
		if (!PT_WALK(read_field)(task, interp, l->interp_threads_head, &ts.t))
			break;
		bpf_loop(PT_MAX_THREADS, PT_WALK(thread_step), &ts, 0);
		if (ts.found) {
			bpf_map_update_elem(&thread_states, &tid, &ts.t, BPF_ANY);
			return ts.t;
		}
		if (!PT_WALK(read_field)(task, interp, l->interp_next, &interp))
			break;
	}
	return 0;
}

/* struct pt_sample_frame's identity of the code in s->code. A string that
 * cannot be read counts as length and hash 0 (user space cannot read it
 * either: the frame ends up unreadable). */
static __always_inline __u32 PT_WALK(code_identity)(const struct pt_python_layout *l,
						    struct task_struct *task, const struct sample_scratch *s)
{
	__u64 filename = code_u64(s, l->code_filename), name = code_u64(s, l->code_name);
	__u64 f[2] = {}, n[2] = {}; /* length, hash */
	__u32 h = 0;

	if (PT_READ(f, sizeof(f), filename + l->unicode_length, task))
		f[0] = f[1] = 0;
	if (PT_READ(n, sizeof(n), name + l->unicode_length, task))
		n[0] = n[1] = 0;
	h = identity_mix(h, filename);
	h = identity_mix(h, name);
	h = identity_mix(h, (__u32)code_s32(s, l->code_firstlineno));
	h = identity_mix(h, f[0]);
	h = identity_mix(h, f[1]);
	h = identity_mix(h, n[0]);
	return identity_mix(h, n[1]);
}

/* Is this frame of the thread where its data stack has it? The thread pushes
 * its frames there in call order, each right above its caller's, and moves on
 * to a new chunk when one is full: so the innermost ends at datastack_top and
 * each one ends where the one it called begins, or, the chunk used up, at the
 * top saved in the chunk before. A chain read while the interpreter links a
 * new C-level eval (3.11/3.12: the _PyCFrame is linked before its
 * current_frame is set) or while a frame is pushed or popped points elsewhere:
 * into memory above the top (dead frames, their stale links) or at a live
 * frame that is not the innermost. Either fails here; a chain that passes is
 * the stack's own frames, in order. PT_SAMPLE_COUNT_MAX when it is in place. */
static __always_inline __u32 PT_WALK(check_in_datastack)(struct frame_walk *w, __u64 frame)
{
	const struct pt_python_layout *l = w->l;
	__s32 nlocalsplus = code_s32(w->s, l->code_nlocalsplus),
	      stacksize = code_s32(w->s, l->code_stacksize);
	__u64 end, top = 0;

	if (nlocalsplus < 0 || stacksize < 0)
		return PT_UNWIND_STALE_FRAME;
	end = frame + ((__u64)nlocalsplus + (__u64)stacksize + l->frame_specials_words) * sizeof(__u64);
	if (end != w->expected_end && w->expected_end == w->chunk_start) {
		/* This chunk's frames are all seen: the caller is the last of the chunk before. */
		if (!PT_WALK(read_field)(w->task, w->chunk, l->chunk_previous, &w->chunk) ||
		    (w->chunk && !PT_WALK(read_field)(w->task, w->chunk, l->chunk_top, &top)))
			return PT_UNWIND_READ_FAULT;
		if (!w->chunk)
			return PT_UNWIND_STALE_FRAME;
		w->chunk_start = w->chunk + l->chunk_data;
		w->expected_end = w->chunk_start + top * sizeof(__u64);
	}
	if (end != w->expected_end || frame < w->chunk_start)
		return PT_UNWIND_STALE_FRAME;
	w->expected_end = frame;
	return PT_SAMPLE_COUNT_MAX;
}

/* One link of the frame chain. */
static long PT_WALK(frame_step)(__u32 i, void *arg)
{
	struct frame_walk *w = arg;
	const struct pt_python_layout *l = w->l;
	__u64 frame = w->frame, code = 0;
	__u32 depth = w->depth;

	if (!frame)
		return 1;
	if (depth >= PT_STACK_MAX) {
		w->s->hdr.flags |= PT_SAMPLE_CUT;
		return 1;
	}
	__u8 owner = 0xff;
	__u32 len = l->frame_window_len;

	if (len > PT_FRAME_WINDOW || PT_READ(w->s->frame, len, frame + l->frame_window_start, w->task))
		goto fault;
	if (l->frame_owner != PT_OFFSET_NONE) {
		owner = frame_u8(w->s, l, l->frame_owner);
		if (owner >= l->not_python_owner) /* a shim frame: C stack or interpreter entry */
			goto next;
	}
	code = frame_u64(w->s, l, l->frame_code) & ~(__u64)l->code_tag_bits;
	if (PT_READ(w->s->code, PT_CODE_WINDOW, code, w->task))
		goto fault;
	if (code_u64(w->s, l->object_type) != l->code_type) {
		w->failed = PT_UNWIND_NOT_CODE;
		return 1;
	}
	if (w->check_datastack && owner == PT_FRAME_OWNED_BY_THREAD) {
		__u32 stale = PT_WALK(check_in_datastack)(w, frame);

		if (stale != PT_SAMPLE_COUNT_MAX) {
			w->failed = stale;
			return 1;
		}
	}
	w->s->frames[depth].code = code;
	w->s->frames[depth].identity = PT_WALK(code_identity)(l, w->task, w->s);
	w->s->frames[depth].offset = instruction_offset(l, w->s, code);
	w->depth = depth + 1;
next:
	w->frame = frame_u64(w->s, l, l->frame_previous);
	return 0;
fault:
	w->failed = PT_UNWIND_READ_FAULT;
	return 1;
}

/* Fills s->frames from the thread state's current frame; the counter to
 * bump on failure, or PT_SAMPLE_COUNT_MAX when the sample is good. */
static __always_inline __u32 PT_WALK(walk_frames)(const struct pt_python_layout *l, struct task_struct *task,
						  __u64 tstate, struct sample_scratch *s)
{
	struct frame_walk w = {.l = l, .task = task, .s = s, .failed = PT_SAMPLE_COUNT_MAX};

	if (!PT_WALK(read_field)(task, tstate, l->thread_frame, &w.frame))
		return PT_UNWIND_READ_FAULT;
	if (l->cframe_current_frame != PT_OFFSET_NONE && w.frame &&
	    !PT_WALK(read_field)(task, w.frame, l->cframe_current_frame, &w.frame))
		return PT_UNWIND_READ_FAULT;
	if (l->datastack_top != PT_OFFSET_NONE) {
		w.check_datastack = true;
		if (!PT_WALK(read_field)(task, tstate, l->datastack_top, &w.expected_end) ||
		    !PT_WALK(read_field)(task, tstate, l->datastack_chunk, &w.chunk))
			return PT_UNWIND_READ_FAULT;
		w.chunk_start = w.chunk + l->chunk_data;
	}
	s->hdr.flags = 0;
	bpf_loop(PT_STACK_MAX + PT_WALK_EXTRA, PT_WALK(frame_step), &w, 0);
	if (w.failed != PT_SAMPLE_COUNT_MAX)
		return w.failed;
	if (w.check_datastack && !w.frame) {
		/* The chain ended: the thread's outermost frame must be the data stack's
		 * first, at the start of the root chunk (whose first word CPython leaves
		 * free). A chain cut short mid-update (a new frame's `previous` not yet
		 * written) ends above it. */
		__u64 previous = 0;

		if (!PT_WALK(read_field)(task, w.chunk, l->chunk_previous, &previous))
			return PT_UNWIND_READ_FAULT;
		if (previous || w.expected_end > w.chunk_start + sizeof(__u64))
			return PT_UNWIND_STALE_FRAME;
	}
	if (w.frame)
		s->hdr.flags |= PT_SAMPLE_CUT; /* deeper than the walk goes */
	if (!w.depth)
		return PT_UNWIND_EMPTY;
	s->hdr.depth = w.depth;
	return PT_SAMPLE_COUNT_MAX;
}
