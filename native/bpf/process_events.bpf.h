/* Processes that change under the trace: fork, exec, exit of the traced
 * processes (the tgids in `traced_tgids`), sent through the same transport as
 * the markers' records.
 *
 * A child inherits its parent's uprobe breakpoints and raised semaphores (its
 * memory is a copy), but a uprobe attached for one pid never runs its program
 * for another. With `follow_forks`, a child is added to `traced_tgids` and
 * stopped (SIGSTOP, before its first user instruction) until the reader has
 * attached its own uprobes and continues it (see native/process/). Without,
 * the reader takes the inherited breakpoints and semaphores out of the child. */
#ifndef PYTRACE_PROCESS_EVENTS_BPF_H
#define PYTRACE_PROCESS_EVENTS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "usdt_event.h"
#include "process_events.h"
#include "maps.bpf.h"
#include "within.bpf.h"

/* Set before load: report and follow processes (a process trace, not a binary's). */
const volatile bool follow_forks = false;
/* Set before load: a process that execs a file of traced_files is traced
 * from then on, and its exec record sent (a binary's profile). */
const volatile bool watch_execs = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/* Only the fields read here; CO-RE matches them to the kernel's by name. */
struct task_struct___pt {
	int pid;
	int tgid;
	int exit_code;
	struct signal_struct___pt *signal;
} __attribute__((preserve_access_index));

struct signal_struct___pt {
	struct {
		int counter;
	} live;
} __attribute__((preserve_access_index));

struct super_block___pt {
	unsigned int s_dev;
} __attribute__((preserve_access_index));

struct inode___pt {
	unsigned long i_ino;
	struct super_block___pt *i_sb;
} __attribute__((preserve_access_index));

struct file___pt {
	struct inode___pt *f_inode;
} __attribute__((preserve_access_index));

struct linux_binprm;
struct linux_binprm___pt {
	const char *filename;
	struct file___pt *file;
} __attribute__((preserve_access_index));

/* The files the trace's uprobes are on (set by the reader): an exec into
 * another one is held until the reader has decided what to do about it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct pt_file_id);
	__type(value, __u8);
} traced_files SEC(".maps");

/* Linux 6.13; missing before: children then are not held (the record says so). */
enum pid_type { PT_PIDTYPE_PID = 0, PT_PIDTYPE_TGID = 1 };
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __ksym __weak;
#define PT_SIGSTOP 19

struct process_record {
	struct pt_event ev;
	char path[PT_NAME_READ];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct process_record);
} process_scratch SEC(".maps");

static __always_inline struct process_record *process_record(__u8 type, __u32 pid, __u32 tid)
{
	__u32 zero = 0;
	struct process_record *r = bpf_map_lookup_elem(&process_scratch, &zero);

	if (!r)
		return NULL;
	__builtin_memset(&r->ev, 0, sizeof(r->ev));
	r->ev.size = sizeof(r->ev);
	r->ev.type = type;
	r->ev.pid = pid;
	r->ev.tid = tid;
	r->ev.ts = bpf_ktime_get_ns();
	return r;
}

/* `to_ring` is a constant in each program: the other transport's code is
 * compiled out (its map may not exist). Rare records: the reader is woken at
 * once, a held child waits for it. */
static __always_inline void send_process_record(void *ctx, struct process_record *r, bool to_ring)
{
	__u32 size = r->ev.size;

	if (size > sizeof(*r))
		return;
	if (to_ring ? bpf_ringbuf_output(&ring, r, size, BPF_RB_FORCE_WAKEUP)
		    : bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, r, size))
		count(PT_COUNT_LOST);
}

static __always_inline int on_fork(void *ctx, struct task_struct *parent, struct task_struct *child,
				   bool to_ring)
{
	struct task_struct___pt *p = (void *)parent, *c = (void *)child;
	__u32 ptgid = BPF_CORE_READ(p, tgid), cpid = BPF_CORE_READ(c, pid), ctgid = BPF_CORE_READ(c, tgid);
	struct process_record *r;
	__u8 one = 1;
	__u32 flags = 0;

	if (cpid != ctgid || !bpf_map_lookup_elem(&traced_tgids, &ptgid))
		return 0; /* a thread, or not ours */
	if (follow_forks) {
		if (bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY) == 0) {
			flags |= PT_FORK_FOLLOWED;
			if (bpf_send_signal_task &&
			    bpf_send_signal_task(child, PT_SIGSTOP, PT_PIDTYPE_TGID, 0) == 0)
				flags |= PT_FORK_HELD;
		}
	}
	r = process_record(PT_EV_FORK, ptgid, (__u32)bpf_get_current_pid_tgid());
	if (!r)
		return 0;
	r->ev.arg[0] = ctgid;
	r->ev.arg[1] = flags;
	send_process_record(ctx, r, to_ring);
	return 0;
}

/* Exec by a thread other than the main one: it takes the main thread's place
 * (and pid), and the uprobes attached for that pid, bound to the thread that
 * was the main one, no longer apply: the reader attaches new ones, the
 * process held (from its first instruction) until it has. */
static __always_inline int on_exec(void *ctx, struct linux_binprm *bprm, int old_tid, bool to_ring)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid, code = PT_GEN_CODE;
	struct linux_binprm___pt *b = (void *)bprm;
	struct process_record *r;
	struct pt_file_id id = {};
	bool new_process = false;
	__u8 one = 1;
	__u64 *g;
	long n;

	id.ino = BPF_CORE_READ(b, file, f_inode, i_ino);
	id.dev = BPF_CORE_READ(b, file, f_inode, i_sb, s_dev);
	if (!bpf_map_lookup_elem(&traced_tgids, &tgid)) {
		if (!watch_execs || !bpf_map_lookup_elem(&traced_files, &id) ||
		    bpf_map_update_elem(&traced_tgids, &tgid, &one, BPF_ANY))
			return 0;
		new_process = true;
	}
	/* Same pid, new memory: names cached by address are no longer true. */
	g = bpf_map_lookup_elem(&generation, &code);
	if (g)
		__sync_fetch_and_add(g, 1);
	bpf_map_delete_elem(&within_depth, &tid);
	r = process_record(PT_EV_EXEC, tgid, tid);
	if (!r)
		return 0;
	n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), BPF_CORE_READ(b, filename));
	n = n > 0 ? n - 1 : 0; /* n counts the NUL */
	if (n > PT_NAME_MAX) {
		n = PT_NAME_MAX; /* the reader cuts it to a whole character */
		r->ev.truncated_mask = 1;
	}
	r->ev.str_len[0] = n;
	r->ev.string_mask = 1;
	r->ev.arg[2] = old_tid;
	/* A new process has no uprobes of its own to attach anew: never held
	 * (it may be any user's, under a shell's job control). */
	if (new_process)
		r->ev.arg[1] |= PT_EXEC_NEW_PROCESS;
	else if (old_tid != tgid)
		r->ev.arg[1] |= PT_EXEC_NEW_MAIN_THREAD;
	if (!new_process && !bpf_map_lookup_elem(&traced_files, &id))
		r->ev.arg[1] |= PT_EXEC_OTHER_PROGRAM;
	/* Stopped before the new program's first instruction, until then. */
	if ((r->ev.arg[1] & (PT_EXEC_NEW_MAIN_THREAD | PT_EXEC_OTHER_PROGRAM)) &&
	    bpf_send_signal(PT_SIGSTOP) == 0)
		r->ev.arg[1] |= PT_EXEC_HELD;
	r->ev.size = sizeof(r->ev) + n;
	send_process_record(ctx, r, to_ring);
	return 0;
}

static __always_inline int on_exit(void *ctx, struct task_struct *task, bool to_ring)
{
	struct task_struct___pt *t = (void *)task;
	__u32 tgid = BPF_CORE_READ(t, tgid), tid = BPF_CORE_READ(t, pid);
	struct process_record *r;

	/* Every thread passes here; the process ends with its last one. */
	if (BPF_CORE_READ(t, signal, live.counter) != 0 || !bpf_map_lookup_elem(&traced_tgids, &tgid))
		return 0;
	bpf_map_delete_elem(&traced_tgids, &tgid);
	r = process_record(PT_EV_EXIT, tgid, tid);
	if (!r)
		return 0;
	r->ev.arg[0] = BPF_CORE_READ(t, exit_code); /* a wait status */
	send_process_record(ctx, r, to_ring);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_to_ring, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(ctx, parent, child, true);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_to_perf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(ctx, parent, child, false);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_to_ring, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	return on_exec(ctx, bprm, old_pid, true);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_to_perf, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	return on_exec(ctx, bprm, old_pid, false);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_to_ring, struct task_struct *task)
{
	return on_exit(ctx, task, true);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_to_perf, struct task_struct *task)
{
	return on_exit(ctx, task, false);
}

#endif
