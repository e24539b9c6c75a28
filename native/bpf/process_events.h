/* Types of the process records (PT_EV_FORK, PT_EV_EXEC, PT_EV_EXIT in
 * usdt_event.h) shared by process_events.bpf.h and native/process/. */
#ifndef PYTRACE_PROCESS_EVENTS_H
#define PYTRACE_PROCESS_EVENTS_H

#include "usdt_event.h"

enum pt_fork_flags {
	PT_FORK_FOLLOWED = 1, /* the child is traced */
	PT_FORK_HELD = 2,     /* stopped until the reader has attached its uprobes */
};

enum pt_exec_flags {
	PT_EXEC_NEW_MAIN_THREAD = 1, /* another thread exec'd: the reader attaches the pid's uprobes anew */
	PT_EXEC_HELD = 2,	     /* stopped until the reader is done */
	PT_EXEC_OTHER_PROGRAM = 4, /* not a file of traced_files: JS decides (attach, or end that process) */
	PT_EXEC_NEW_PROCESS = 8, /* watch_execs: a process not traced before exec'd a file of traced_files */
};

/* A file as the kernel names it (s_dev: major << 20 | minor). */
struct pt_file_id {
	pt_u64 ino;
	pt_u32 dev;
	pt_u32 pad;
};

/* Processes a trace follows at once (the parent and its descendants). */
#define PT_MAX_PROCESSES 4096

#endif
