// Loads the BPF program and attaches it to marker locations: one uprobe_multi
// link per (program, file, pid) where the kernel has them (Linux 6.6, see
// uprobe_multi.h), else one uprobe per location. Each location has the
// marker's semaphore as its reference counter, so the kernel raises it while
// attached and lowers it when the link goes away, whichever way the tracer ends.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../bpf/process_events.h"
#include "../bpf/usdt_event.h"
#include "../process/process_links.h"

struct usdt_event;
struct bpf_link;

namespace pytrace {

enum class Transport { kRing, kPerf };

// Every value comes from the caller (the defaults live in lib/, once).
struct SessionOptions {
  int pid = -1;  // -1: every process that maps the binary
  Transport transport = Transport::kRing;
  uint32_t ring_bytes = 0;      // power of two, multiple of the page size
  uint64_t wakeup_bytes = 0;    // see usdt_event.bpf.c
  std::string within;           // function name; empty: no filter
  bool cache_names = false;     // see the name cache in usdt_event.bpf.c
  bool ns_ids = false;          // fill in the ids of the process's PID namespace
  bool single_uprobes = false;  // one uprobe per location even where uprobe_multi exists
  bool no_cookies = false;      // spec ids by address even where the kernel has BPF cookies
  bool subprocesses = false;    // trace the children it forks (see native/process/)
  bool watch_execs = false;     // trace processes that exec a traced file (a binary's profile)
  bool sampling = false;        // load the stack sampler (stack_sampler.bpf.h)
  bool dump = false;            // load the thread dump iterator (thread_dump.bpf.h)
};

// A name the call counts refer to, as the kernel read it (struct pt_name).
struct CountName {
  std::string bytes;
  uint8_t flags = PT_NAME_UNREAD;  // enum pt_name_flags; unread until found
};

struct CallCount {
  pt_count_key key;
  uint64_t count;
  CountName filename, funcname;
};

struct UprobeTarget {
  std::string path;             // the object, as this process can open it
  uint64_t offset = 0;          // file offset of the location
  uint64_t ref_ctr_offset = 0;  // file offset of the semaphore; 0: none
  uint64_t address = 0;         // where the location is in the pid's memory; 0: not mapped (yet)
  enum Program { kEvent, kCount, kAnchor, kCodeCreated } program = kEvent;
  int pid = -2;             // -2: the session's pid; -1: every process
  pt_spec spec{};           // how to fetch the arguments (not for anchors)
  pt_audit_layout audit{};  // for audit locations: how to read the tuple
};

// Throws the NativeError an errno means for the session (permission, no such
// process, else an attach failure quoting libbpf's last word). For the
// session's files (bpf_session.cc, sampling.cc).
[[noreturn]] void ThrowErrno(int err, const std::string& what);

class BpfSession {
 public:
  // Opens and loads the program; throws NativeError.
  explicit BpfSession(const SessionOptions& options);
  ~BpfSession();
  BpfSession(const BpfSession&) = delete;
  BpfSession& operator=(const BpfSession&) = delete;

  // Attaches every target or none: on failure, what was attached is removed.
  void Attach(const std::vector<UprobeTarget>& targets);
  // Removes every uprobe; the kernel lowers the semaphores as it does.
  void Detach();
  // Without BPF cookies: the spec ids of the session's pid, for a child it
  // forked (same addresses), before its uprobes are attached. False if the map is full.
  bool AddSpecIdsFor(int child);

  Transport transport() const { return options_.transport; }
  int pid() const { return options_.pid; }
  bool subprocesses() const { return options_.subprocesses; }
  bool multi() const { return multi_; }
  // The uprobes attached for the session's pid, to copy for its children.
  std::vector<AttachedUprobe> AttachedUprobes() const;
  // The program that sends nothing, for uprobes attached only for their effect.
  bpf_program* anchor_program() const;
  // Notes files the uprobes are on: an exec into one of them is not held.
  void AddTracedFiles(const std::vector<pt_file_id>& files);
  // The processes the kernel follows now (the pid and its traced descendants).
  std::vector<int> FollowedProcesses() const;
  int ring_fd() const;
  int perf_fd() const;
  // Sum over CPUs of a counter of enum pt_counter.
  uint64_t Counter(uint32_t which) const;
  size_t links() const { return links_.size() + multi_links_.size(); }
  // How locations are attached: "uprobe_multi" or "uprobe".
  const char* link_kind() const { return multi_ ? "uprobe_multi" : "uprobe"; }
  // Whether uprobes carry their spec id as a BPF cookie (else: map spec_ids).
  bool cookies() const { return cookies_; }
  // Invalidates the name cache: the reader lost records that may have
  // carried names.
  void ForgetSentNames();
  // Takes the call counts out of the kernel map: each is read and removed,
  // with the names it refers to.
  std::vector<CallCount> TakeCallCounts();

  // Stack sampling (stack_sampler.bpf.h): walk this process's frames with `layout`.
  void ProfileProcess(uint32_t pid, const pt_python_layout& layout);
  // An exited process is walked no more.
  void ForgetProfiled(uint32_t pid);
  // One CPU-clock perf event per online CPU, `hz` samples a second each.
  void AttachSampling(uint64_t hz);
  // Sum over CPUs of a counter of enum pt_sample_counter.
  uint64_t SampleCounter(uint32_t which) const;
  // Every thread of a profiled process walked now: struct pt_sample records back to back.
  std::string DumpThreads(uint32_t pid);

 private:
  // Without cookies: the location's spec id under its address in its pid (map spec_ids).
  pt_spec_key StoreSpecAddress(const UprobeTarget& t, uint32_t id);
  CountName CountNameOf(uint32_t pid, uint64_t generation, uint64_t address) const;

  // native/process/process_events.cc: fork, exec and exit of the traced processes.
  void ConfigureProcessEvents();
  void AttachProcessEvents();

  SessionOptions options_;
  usdt_event* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  bool multi_ = false;   // uprobe_multi links (see uprobe_multi.h)
  bool cookies_ = true;  // BPF cookies (Linux 5.15); see spec_id() in maps.bpf.h
  // Without cookies: (address, spec id) of each location attached for the session's pid.
  std::vector<std::pair<uint64_t, uint32_t>> spec_addresses_;
  std::vector<int> multi_links_;
  uint32_t next_spec_ = 0;
  mutable std::mutex attached_mu_;
  std::vector<AttachedUprobe> attached_;
  std::vector<bpf_link*> process_links_;  // fork, exec, exit tracepoints
};

// True when the kernel offers a BPF map type ring buffer.
bool KernelHasRingBuffer();
// True when uprobes' BPF programs can read a cookie (bpf_get_attach_cookie, Linux 5.15).
bool KernelHasBpfCookie();

}  // namespace pytrace
