#include "process_links.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <utility>

#include "../attach/uprobe_multi.h"

namespace pytrace {

ProcessLinks::ProcessLinks(ProcessLinks&& other) noexcept { *this = std::move(other); }

ProcessLinks& ProcessLinks::operator=(ProcessLinks&& other) noexcept {
  if (this != &other) {
    Close();
    links_.swap(other.links_);
    fds_.swap(other.fds_);
  }
  return *this;
}

std::string PathForProcess(const std::string& path, int pid) {
  static const std::regex rooted("^/proc/[0-9]+/root/");
  return std::regex_replace(path, rooted, "/proc/" + std::to_string(pid) + "/root/",
                            std::regex_constants::format_first_only);
}

bool ProcessLinks::Attach(const std::vector<AttachedUprobe>& uprobes, bool multi, int pid) {
  if (multi) {
    std::map<std::pair<bpf_program*, std::string>, std::vector<MultiLocation>> groups;
    for (const AttachedUprobe& u : uprobes)
      groups[{u.prog, PathForProcess(u.path, pid)}].push_back({u.offset, u.ref_ctr_offset, u.cookie});
    for (const auto& [key, locations] : groups) {
      int fd = AttachUprobeMulti(bpf_program__fd(key.first), key.second, pid, locations);
      if (fd < 0) return false;
      fds_.push_back(fd);
    }
    return true;
  }
  for (const AttachedUprobe& u : uprobes) {
    LIBBPF_OPTS(bpf_uprobe_opts, opts);
    opts.ref_ctr_offset = u.ref_ctr_offset;
    opts.bpf_cookie = u.cookie;
    bpf_link* link =
        bpf_program__attach_uprobe_opts(u.prog, pid, PathForProcess(u.path, pid).c_str(), u.offset, &opts);
    if (!link) return false;
    links_.push_back(link);
  }
  return true;
}

void ProcessLinks::Close() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  for (int fd : fds_) close(fd);
  links_.clear();
  fds_.clear();
}

}  // namespace pytrace
