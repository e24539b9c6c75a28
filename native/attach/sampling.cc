// The stack sampler's and the thread dump's part of the BPF session: the
// profiled processes' layouts, one CPU-clock perf event per CPU, and the task
// iterator that walks every thread of a process.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../native_error.h"
#include "bpf_session.h"
#include "usdt_event.skel.h"

namespace pytrace {

void BpfSession::ProfileProcess(uint32_t pid, const pt_python_layout& layout) {
  if (bpf_map__update_elem(skel_->maps.profiled, &pid, sizeof(pid), &layout, sizeof(layout), BPF_ANY))
    ThrowErrno(errno, "Cannot add process " + std::to_string(pid) + " to the profiled processes");
  // A binary's process: its exit (and an exec into another program) is reported from now on.
  uint8_t one = 1;
  if (options_.watch_execs)
    bpf_map__update_elem(skel_->maps.traced_tgids, &pid, sizeof(pid), &one, sizeof(one), BPF_ANY);
}

void BpfSession::ForgetProfiled(uint32_t pid) {
  // Its pid may be used again, by any program; the map's room goes to later processes.
  if (skel_ && (options_.sampling || options_.dump))
    bpf_map__delete_elem(skel_->maps.profiled, &pid, sizeof(pid), 0);
}

namespace {

// The online CPUs, from "0-3,5" (sysfs).
std::vector<int> OnlineCpus() {
  std::vector<int> cpus;
  FILE* f = fopen("/sys/devices/system/cpu/online", "r");
  if (!f) {
    for (int i = 0; i < libbpf_num_possible_cpus(); i++) cpus.push_back(i);
    return cpus;
  }
  int a, b;
  char sep;
  while (fscanf(f, "%d", &a) == 1) {
    b = a;
    if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
      if (fscanf(f, "%d", &b) != 1) break;
      if (fscanf(f, "%c", &sep) != 1) sep = 0;
    }
    for (int i = a; i <= b; i++) cpus.push_back(i);
    if (sep != ',') break;
  }
  fclose(f);
  return cpus;
}

}  // namespace

void BpfSession::AttachSampling(uint64_t hz) {
  if (!options_.sampling)
    throw NativeError("PYTRACE_ATTACH_FAILED", "This session was opened without the stack sampler.");
  bpf_program* prog =
      options_.transport == Transport::kRing ? skel_->progs.sample_to_ring : skel_->progs.sample_to_perf;
  size_t first_new = links_.size();
  try {
    for (int cpu : OnlineCpus()) {
      perf_event_attr attr{};
      attr.size = sizeof(attr);
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = PERF_COUNT_SW_CPU_CLOCK;
      // A fixed period in ns of CPU time: exactly hz a second on a busy CPU.
      attr.sample_period = 1000000000ull / hz;
      int fd = static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (fd < 0) {
        if (errno == ENODEV) continue;  // went offline since
        ThrowErrno(errno, "Cannot open a CPU-clock perf event on CPU " + std::to_string(cpu));
      }
      bpf_link* link = bpf_program__attach_perf_event(prog, fd);
      if (!link) {
        int err = errno;
        close(fd);
        ThrowErrno(err, "Cannot attach the stack sampler to CPU " + std::to_string(cpu));
      }
      links_.push_back(link);  // the link closes the perf event when destroyed
    }
  } catch (...) {
    while (links_.size() > first_new) {
      bpf_link__destroy(links_.back());
      links_.pop_back();
    }
    throw;
  }
}

std::string BpfSession::DumpThreads(uint32_t pid) {
  if (!options_.dump)
    throw NativeError("PYTRACE_ATTACH_FAILED", "This session was opened without the thread dump.");
  // Only this process's threads (Linux 6.1: task iterators with a pid).
  union bpf_iter_link_info info {};
  info.task.pid = pid;
  LIBBPF_OPTS(bpf_iter_attach_opts, opts);
  opts.link_info = &info;
  opts.link_info_len = sizeof(info);
  bpf_link* link = bpf_program__attach_iter(skel_->progs.dump_threads, &opts);
  if (!link) {
    int err = errno;
    if (err == EINVAL)
      throw NativeError("PYTRACE_KERNEL_UNSUPPORTED",
                        "This kernel cannot iterate over one process's threads in BPF (task iterators with a "
                        "pid, Linux 6.1).",
                        err);
    ThrowErrno(err, "Cannot attach the thread dump iterator");
  }
  int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0) {
    int err = errno;
    bpf_link__destroy(link);
    ThrowErrno(err, "Cannot start the thread dump iterator");
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  bpf_link__destroy(link);
  return out;
}

uint64_t BpfSession::SampleCounter(uint32_t which) const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0 || !options_.sampling) return 0;
  std::vector<uint64_t> values(ncpu);
  if (bpf_map__lookup_elem(skel_->maps.sample_counters, &which, sizeof(which), values.data(),
                           values.size() * sizeof(uint64_t), 0))
    return 0;
  uint64_t sum = 0;
  for (uint64_t v : values) sum += v;
  return sum;
}

}  // namespace pytrace
