// Uprobes for one more process: a traced child gets copies of the session's
// uprobes for its own pid (a uprobe attached for one pid never runs its
// program for another, not even a child that inherited its breakpoints).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct bpf_program;
struct bpf_link;

namespace pytrace {

// One attached location, as BpfSession attached it.
struct AttachedUprobe {
  bpf_program* prog;
  std::string path;
  uint64_t offset;
  uint64_t ref_ctr_offset;
  uint64_t cookie;
};

class ProcessLinks {
 public:
  ProcessLinks() = default;
  ProcessLinks(ProcessLinks&& other) noexcept;
  ProcessLinks& operator=(ProcessLinks&& other) noexcept;
  ~ProcessLinks() { Close(); }

  // Attaches every uprobe for `pid` (uprobe_multi links when `multi`);
  // returns false (what was attached stays) if one fails.
  bool Attach(const std::vector<AttachedUprobe>& uprobes, bool multi, int pid);
  // Removes them: the kernel takes their breakpoints out of every process
  // no remaining uprobe wants, and lowers the semaphores it raised there.
  void Close();

 private:
  std::vector<bpf_link*> links_;
  std::vector<int> fds_;
};

// The path of an object opened through /proc/PID/root for another process of
// the same mount namespace: the first may have exited.
std::string PathForProcess(const std::string& path, int pid);

}  // namespace pytrace
