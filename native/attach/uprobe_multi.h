// One uprobe_multi link (Linux 6.6) for many locations of one file: attach
// and, above all, detach cost one step instead of one per location (each
// single uprobe's removal waits for an RCU grace period, about 0.1 s here).
// The system libbpf (1.1) predates it: the link is made with the bpf syscall.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pytrace {

// enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI, newer than the system's headers.
constexpr int kUprobeMultiAttachType = 48;

// Linux 6.6 or later.
bool KernelHasUprobeMulti();

struct MultiLocation {
  uint64_t offset;
  uint64_t ref_ctr_offset;
  uint64_t cookie;
};

// Returns the link's fd, or -errno.
int AttachUprobeMulti(int prog_fd, const std::string& path, int pid,
                      const std::vector<MultiLocation>& locations);

}  // namespace pytrace
