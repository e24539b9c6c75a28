#include "uprobe_multi.h"

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pytrace {
namespace {

// bpf_attr's link_create with the uprobe_multi member (Linux 6.6 layout).
struct LinkCreateUprobeMulti {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;
  uint64_t offsets;
  uint64_t ref_ctr_offsets;
  uint64_t cookies;
  uint32_t cnt;
  uint32_t multi_flags;
  uint32_t pid;
  uint32_t pad;
};

}  // namespace

bool KernelHasUprobeMulti() {
  utsname u;
  int major = 0, minor = 0;
  if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 6);
}

int AttachUprobeMulti(int prog_fd, const std::string& path, int pid,
                      const std::vector<MultiLocation>& locations) {
  std::vector<uint64_t> offsets, ref_ctrs, cookies;
  for (const MultiLocation& l : locations) {
    offsets.push_back(l.offset);
    ref_ctrs.push_back(l.ref_ctr_offset);
    cookies.push_back(l.cookie);
  }
  LinkCreateUprobeMulti attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = kUprobeMultiAttachType;
  attr.path = reinterpret_cast<uint64_t>(path.c_str());
  attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
  attr.ref_ctr_offsets = reinterpret_cast<uint64_t>(ref_ctrs.data());
  attr.cookies = reinterpret_cast<uint64_t>(cookies.data());
  attr.cnt = static_cast<uint32_t>(locations.size());
  attr.pid = pid > 0 ? static_cast<uint32_t>(pid) : 0;
  int fd = static_cast<int>(syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr)));
  return fd >= 0 ? fd : -errno;
}

}  // namespace pytrace
