// The session's side of process_events.bpf.h: which programs load, the
// traced pid, and the tracepoints' links.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "../attach/bpf_session.h"
#include "../native_error.h"
#include "usdt_event.skel.h"

namespace pytrace {

// Before load. Only a trace of one process follows processes (a binary's
// trace covers every process running it already); a binary's profile
// (watch_execs) hears of each process that execs it, to profile it.
void BpfSession::ConfigureProcessEvents() {
  bool on = options_.pid > 0 || options_.watch_execs, ring = options_.transport == Transport::kRing;
  bpf_program__set_autoload(skel_->progs.fork_to_ring, on && ring);
  bpf_program__set_autoload(skel_->progs.exec_to_ring, on && ring);
  bpf_program__set_autoload(skel_->progs.exit_to_ring, on && ring);
  bpf_program__set_autoload(skel_->progs.fork_to_perf, on && !ring);
  bpf_program__set_autoload(skel_->progs.exec_to_perf, on && !ring);
  bpf_program__set_autoload(skel_->progs.exit_to_perf, on && !ring);
  skel_->rodata->follow_forks = options_.pid > 0 && options_.subprocesses;
  skel_->rodata->watch_execs = options_.watch_execs;
}

// After load, before any uprobe: a fork from then on is seen.
void BpfSession::AttachProcessEvents() {
  if (options_.pid <= 0 && !options_.watch_execs) return;
  uint32_t pid = static_cast<uint32_t>(options_.pid);
  uint8_t one = 1;
  // A constructor that throws runs no destructor: undo here.
  auto fail = [this](const std::string& what, int err) {
    Detach();
    usdt_event__destroy(skel_);
    skel_ = nullptr;
    throw NativeError("PYTRACE_ATTACH_FAILED", what + strerror(err), err);
  };
  if (options_.pid > 0 &&
      bpf_map__update_elem(skel_->maps.traced_tgids, &pid, sizeof pid, &one, sizeof one, 0))
    fail("Cannot note the traced process: ", errno);
  bool ring = options_.transport == Transport::kRing;
  for (bpf_program* p : {ring ? skel_->progs.fork_to_ring : skel_->progs.fork_to_perf,
                         ring ? skel_->progs.exec_to_ring : skel_->progs.exec_to_perf,
                         ring ? skel_->progs.exit_to_ring : skel_->progs.exit_to_perf}) {
    bpf_link* link = bpf_program__attach(p);
    if (!link) fail("Cannot attach to the scheduler's process tracepoints (fork, exec, exit): ", errno);
    process_links_.push_back(link);
  }
}

std::vector<AttachedUprobe> BpfSession::AttachedUprobes() const {
  std::lock_guard<std::mutex> lock(attached_mu_);
  return attached_;
}

bpf_program* BpfSession::anchor_program() const { return skel_->progs.semaphore_anchor; }

void BpfSession::AddTracedFiles(const std::vector<pt_file_id>& files) {
  if (!skel_ || (options_.pid <= 0 && !options_.watch_execs)) return;
  uint8_t one = 1;
  for (const pt_file_id& f : files)
    bpf_map__update_elem(skel_->maps.traced_files, &f, sizeof f, &one, sizeof one, 0);
}

std::vector<int> BpfSession::FollowedProcesses() const {
  std::vector<int> out;
  if (!skel_ || options_.pid <= 0) return out;
  int fd = bpf_map__fd(skel_->maps.traced_tgids);
  uint32_t key = 0, next = 0;
  for (const void* prev = nullptr; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
    out.push_back(static_cast<int>(next));
    key = next;
  }
  return out;
}

}  // namespace pytrace
