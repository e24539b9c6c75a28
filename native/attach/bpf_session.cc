#include "bpf_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <map>
#include <thread>
#include <tuple>

#include "../native_error.h"
#include "uprobe_multi.h"
#include "usdt_event.skel.h"

namespace pytrace {
namespace {

// libbpf explains failures through its print callback; keep the last warning
// of this thread so an error can quote it instead of printing to stderr.
thread_local std::string last_libbpf_message;

int CaptureLibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  // PYTRACE_LIBBPF_LOG=1 shows everything libbpf says (the verifier's log too).
  static const bool verbose = getenv("PYTRACE_LIBBPF_LOG") != nullptr;
  if (verbose) {
    va_list copy;
    va_copy(copy, args);
    vfprintf(stderr, fmt, copy);
    va_end(copy);
  }
  if (level == LIBBPF_DEBUG) return 0;
  char buf[512];
  vsnprintf(buf, sizeof(buf), fmt, args);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  // Quoted as "(libbpf: ...)": its own prefix would say it twice.
  if (line.rfind("libbpf: ", 0) == 0) line.erase(0, 8);
  if (!line.empty()) last_libbpf_message = line;
  return 0;
}

std::string Detail() { return last_libbpf_message.empty() ? "" : " (libbpf: " + last_libbpf_message + ")"; }

bool PathExists(const char* path) { return access(path, F_OK) == 0; }

std::string KernelRelease() {
  utsname u{};
  return uname(&u) == 0 ? u.release : "unknown";
}

// Whether the kernel knows a BPF helper at all, from its own list (enum
// bpf_func_id in its BTF): for helpers only sleepable or tracing programs
// may call, which libbpf cannot probe with a test program.
bool KernelKnowsHelper(const char* name) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return false;
  bool found = false;
  int id = btf__find_by_name_kind(vmlinux, "bpf_func_id", BTF_KIND_ENUM);
  if (id > 0) {
    const btf_type* t = btf__type_by_id(vmlinux, id);
    const struct btf_enum* e = btf_enum(t);
    for (int i = 0; i < btf_vlen(t) && !found; i++)
      found = strcmp(btf__name_by_offset(vmlinux, e[i].name_off), name) == 0;
  }
  btf__free(vmlinux);
  return found;
}

// A feature this session needs and the kernel lacks: the feature, and the first Linux with it.
[[noreturn]] void ThrowMissing(const std::string& what, const char* feature, const char* since) {
  throw NativeError("PYTRACE_KERNEL_UNSUPPORTED", what + " needs " + feature + " (Linux " + since +
                                                      "), which this kernel (" + KernelRelease() +
                                                      ") lacks.");
}

}  // namespace

[[noreturn]] void ThrowErrno(int err, const std::string& what) {
  if (err == EPERM || err == EACCES)
    throw NativeError("PYTRACE_PERMISSION",
                      what +
                          ": permission denied. Tracing needs root, or the capabilities "
                          "CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (and CAP_SYS_ADMIN on "
                          "kernels before 5.8).",
                      err);
  if (err == ESRCH) throw NativeError("PYTRACE_NO_PROCESS", what + ": the process no longer exists.", err);
  throw NativeError("PYTRACE_ATTACH_FAILED", what + ": " + strerror(err) + Detail(), err);
}

bool KernelHasRingBuffer() { return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1; }

bool KernelHasBpfCookie() {
  static const bool probed =
      libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, nullptr) == 1;
  return probed;
}

BpfSession::BpfSession(const SessionOptions& options) : options_(options) {
  static bool print_set = (libbpf_set_print(CaptureLibbpfPrint), true);
  (void)print_set;
  last_libbpf_message.clear();

  // Uprobes through perf_event_open need the uprobe PMU; semaphores need its
  // ref_ctr_offset field (Linux 4.20).
  if (!PathExists("/sys/bus/event_source/devices/uprobe/type"))
    throw NativeError("PYTRACE_KERNEL_UNSUPPORTED",
                      "This kernel offers no uprobe PMU (/sys/bus/event_source/devices/uprobe). "
                      "pytrace needs Linux 4.20 or later built with CONFIG_UPROBE_EVENTS and BPF "
                      "(CONFIG_BPF_SYSCALL, CONFIG_BPF_EVENTS), with sysfs mounted.");
  if (!PathExists("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset"))
    throw NativeError("PYTRACE_KERNEL_UNSUPPORTED",
                      "This kernel's uprobes have no reference counter (ref_ctr_offset, Linux "
                      "4.20): markers' semaphores cannot be raised. Use a newer kernel.");

  if (options_.within.size() >= PT_WITHIN_MAX)
    throw NativeError("PYTRACE_BAD_OPTION", "The `within` function name is longer than " +
                                                std::to_string(PT_WITHIN_MAX - 1) + " bytes.");
  // The sampler walks frames in bpf_loop; the thread dump reads other
  // threads' memory with bpf_copy_from_user_task.
  if (options_.sampling && libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, nullptr) != 1)
    ThrowMissing("Stack sampling", "bpf_loop", "5.17");
  if (options_.dump && !KernelKnowsHelper("BPF_FUNC_copy_from_user_task"))
    ThrowMissing("A thread dump", "bpf_copy_from_user_task", "5.18");

  skel_ = usdt_event__open();
  if (!skel_) ThrowErrno(errno, "Cannot open the BPF program");
  cookies_ = !options_.no_cookies && KernelHasBpfCookie();
  // uprobe_multi (6.6) came after cookies; without them, single uprobes.
  multi_ = cookies_ && !options_.single_uprobes && KernelHasUprobeMulti();
  skel_->rodata->has_cookies = cookies_;
  if (cookies_) bpf_map__set_max_entries(skel_->maps.spec_ids, 1);
  if (multi_)
    for (bpf_program* p : {skel_->progs.usdt_to_ring, skel_->progs.usdt_to_perf, skel_->progs.usdt_count,
                           skel_->progs.semaphore_anchor, skel_->progs.code_created})
      bpf_program__set_expected_attach_type(p, static_cast<bpf_attach_type>(kUprobeMultiAttachType));
  bool ring = options_.transport == Transport::kRing;
  bpf_program__set_autoload(skel_->progs.usdt_to_ring, ring);
  bpf_program__set_autoload(skel_->progs.usdt_to_perf, !ring);
  bpf_map__set_autocreate(skel_->maps.ring, ring);
  bpf_program__set_autoload(skel_->progs.sample_to_ring, options_.sampling && ring);
  bpf_program__set_autoload(skel_->progs.sample_to_perf, options_.sampling && !ring);
  bpf_program__set_autoload(skel_->progs.dump_threads, options_.dump);
  // The walker's maps only where a walker is loaded (the thread-state cache alone is 8192 entries).
  bool walker = options_.sampling || options_.dump;
  bpf_map__set_autocreate(skel_->maps.profiled, walker);
  bpf_map__set_autocreate(skel_->maps.thread_states, walker);
  bpf_map__set_autocreate(skel_->maps.sample_counters, options_.sampling);
  bpf_map__set_autocreate(skel_->maps.sample_scratch_space, options_.sampling);
  bpf_map__set_autocreate(skel_->maps.dump_scratch_space, options_.dump);
  if (ring) bpf_map__set_max_entries(skel_->maps.ring, options_.ring_bytes);
  skel_->rodata->wakeup_bytes = options_.wakeup_bytes;
  skel_->rodata->cache_names = options_.cache_names;
  skel_->rodata->ns_ids = options_.ns_ids;
  ConfigureProcessEvents();
  skel_->rodata->within_len = static_cast<uint32_t>(options_.within.size());
  memcpy(const_cast<char*>(skel_->rodata->within_name), options_.within.data(), options_.within.size());

  int err = usdt_event__load(skel_);
  if (err) {
    usdt_event__destroy(skel_);
    skel_ = nullptr;
    // EACCES here is the verifier refusing the program, not a missing privilege.
    if (-err == EACCES || -err == EINVAL || -err == E2BIG)
      throw NativeError("PYTRACE_KERNEL_UNSUPPORTED",
                        std::string("The kernel refused pytrace's BPF program: ") + strerror(-err) +
                            Detail() +
                            ". pytrace needs Linux 5.10 or later, built with BTF (CONFIG_DEBUG_INFO_BTF).",
                        -err);
    ThrowErrno(-err, "Cannot load the BPF program");
  }
  AttachProcessEvents();
}

BpfSession::~BpfSession() {
  Detach();
  if (skel_) usdt_event__destroy(skel_);
}

void BpfSession::Attach(const std::vector<UprobeTarget>& targets) {
  size_t first_new = links_.size(), first_multi = multi_links_.size();
  size_t first_attached = AttachedUprobes().size(), first_address = spec_addresses_.size();
  std::vector<pt_spec_key> added_keys;  // without cookies: removed again on failure
  // With uprobe_multi: one link per (program, file, pid).
  std::map<std::tuple<bpf_program*, std::string, int>, std::vector<MultiLocation>> groups;
  try {
    for (const UprobeTarget& t : targets) {
      LIBBPF_OPTS(bpf_uprobe_opts, opts);
      opts.ref_ctr_offset = t.ref_ctr_offset;
      bpf_program* prog =
          t.program == UprobeTarget::kCodeCreated ? skel_->progs.code_created : skel_->progs.semaphore_anchor;
      if (t.program == UprobeTarget::kEvent || t.program == UprobeTarget::kCount) {
        if (next_spec_ >= PT_MAX_SPECS)
          throw NativeError("PYTRACE_ATTACH_FAILED",
                            "Too many marker locations (more than " + std::to_string(PT_MAX_SPECS) + ").");
        uint32_t id = next_spec_++;
        if (bpf_map__update_elem(skel_->maps.specs, &id, sizeof(id), &t.spec, sizeof(t.spec), 0) ||
            bpf_map__update_elem(skel_->maps.audit_layouts, &id, sizeof(id), &t.audit, sizeof(t.audit), 0))
          ThrowErrno(errno, "Cannot store a marker's argument spec");
        prog = t.program == UprobeTarget::kCount        ? skel_->progs.usdt_count
               : options_.transport == Transport::kRing ? skel_->progs.usdt_to_ring
                                                        : skel_->progs.usdt_to_perf;
        if (cookies_)
          opts.bpf_cookie = id;
        else
          added_keys.push_back(StoreSpecAddress(t, id));
      }
      int pid = t.pid == -2 ? options_.pid : t.pid;
      if (pid == options_.pid && pid > 0) {
        std::lock_guard<std::mutex> lock(attached_mu_);
        attached_.push_back({prog, t.path, t.offset, t.ref_ctr_offset, opts.bpf_cookie});
      }
      if (multi_) {
        groups[{prog, t.path, pid}].push_back({t.offset, t.ref_ctr_offset, opts.bpf_cookie});
        continue;
      }
      last_libbpf_message.clear();
      bpf_link* link = bpf_program__attach_uprobe_opts(prog, pid, t.path.c_str(), t.offset, &opts);
      if (!link) {
        char where[32];
        snprintf(where, sizeof where, "0x%llx", static_cast<unsigned long long>(t.offset));
        ThrowErrno(errno, "Cannot attach a uprobe to " + t.path + " at offset " + where);
      }
      links_.push_back(link);
    }
    for (const auto& [key, locations] : groups) {
      const auto& [prog, path, pid] = key;
      int fd = AttachUprobeMulti(bpf_program__fd(prog), path, pid, locations);
      if (fd < 0) ThrowErrno(-fd, "Cannot attach uprobes to " + path);
      multi_links_.push_back(fd);
    }
  } catch (...) {
    while (links_.size() > first_new) {
      bpf_link__destroy(links_.back());
      links_.pop_back();
    }
    while (multi_links_.size() > first_multi) {
      close(multi_links_.back());
      multi_links_.pop_back();
    }
    for (const pt_spec_key& k : added_keys) bpf_map__delete_elem(skel_->maps.spec_ids, &k, sizeof k, 0);
    std::lock_guard<std::mutex> lock(attached_mu_);
    attached_.resize(first_attached);
    spec_addresses_.resize(first_address);
    throw;
  }
}

pt_spec_key BpfSession::StoreSpecAddress(const UprobeTarget& t, uint32_t id) {
  int pid = t.pid == -2 ? options_.pid : t.pid;
  if (pid <= 0)
    ThrowMissing("Tracing every process of a binary", "BPF cookies (bpf_get_attach_cookie)", "5.15");
  if (!t.address) {
    char where[32];
    snprintf(where, sizeof where, "0x%llx", static_cast<unsigned long long>(t.offset));
    ThrowMissing("Tracing a marker of " + t.path + " (offset " + where + ") before the process maps it",
                 "BPF cookies (bpf_get_attach_cookie)", "5.15");
  }
  pt_spec_key key{t.address, static_cast<uint32_t>(pid), 0};
  if (bpf_map__update_elem(skel_->maps.spec_ids, &key, sizeof key, &id, sizeof id, 0))
    ThrowErrno(errno, "Cannot store a marker's spec id");
  if (pid == options_.pid) {
    std::lock_guard<std::mutex> lock(attached_mu_);
    spec_addresses_.push_back({t.address, id});
  }
  return key;
}

bool BpfSession::AddSpecIdsFor(int child) {
  if (cookies_ || !skel_) return true;
  std::lock_guard<std::mutex> lock(attached_mu_);
  bool ok = true;
  for (const auto& [address, id] : spec_addresses_) {
    pt_spec_key key{address, static_cast<uint32_t>(child), 0};
    ok = bpf_map__update_elem(skel_->maps.spec_ids, &key, sizeof key, &id, sizeof id, 0) == 0 && ok;
  }
  return ok;
}

void BpfSession::Detach() {
  // Removing a uprobe waits for an RCU grace period (about 0.15 s measured
  // on 6.18), one link after another. Closing them from several threads at
  // once lets the waits overlap: detach then costs about one grace period.
  std::vector<std::thread> closers;
  for (bpf_link* link : links_) closers.emplace_back([link] { bpf_link__destroy(link); });
  for (int fd : multi_links_) closers.emplace_back([fd] { close(fd); });
  for (bpf_link* link : process_links_) bpf_link__destroy(link);
  process_links_.clear();
  for (std::thread& t : closers) t.join();
  links_.clear();
  multi_links_.clear();
}

int BpfSession::ring_fd() const { return bpf_map__fd(skel_->maps.ring); }
int BpfSession::perf_fd() const { return bpf_map__fd(skel_->maps.perf); }

void BpfSession::ForgetSentNames() {
  uint32_t key = PT_GEN_READER;
  uint64_t gen = 0;
  // Only this thread writes this slot: a read-modify-write is enough.
  bpf_map__lookup_elem(skel_->maps.generation, &key, sizeof(key), &gen, sizeof(gen), 0);
  gen++;
  bpf_map__update_elem(skel_->maps.generation, &key, sizeof(key), &gen, sizeof(gen), 0);
}

namespace {

// Every key of a map, collected first: deleting while walking would restart the walk.
template <typename Key>
std::vector<Key> Keys(int fd) {
  std::vector<Key> keys;
  Key key{}, next{};
  for (const void* prev = nullptr; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
    keys.push_back(next);
    key = next;
  }
  return keys;
}

}  // namespace

CountName BpfSession::CountNameOf(uint32_t pid, uint64_t generation, uint64_t address) const {
  pt_name_key key{address, generation, pid, 0};
  pt_name name{};
  CountName out;
  if (bpf_map__lookup_elem(skel_->maps.count_short_names, &key, sizeof(key), &name, sizeof(pt_short_name),
                           0) &&
      bpf_map__lookup_elem(skel_->maps.count_long_names, &key, sizeof(key), &name, sizeof(name), 0))
    return out;  // not found: read it from the process
  out.bytes.assign(name.bytes, std::min<size_t>(name.len, PT_NAME_MAX));
  out.flags = name.flags;
  return out;
}

std::vector<CallCount> BpfSession::TakeCallCounts() {
  std::vector<CallCount> out;
  // Calls from now on are counted, and their names kept, in a new
  // generation: what this read leaves of older ones is no longer needed.
  // The code generation is read first: it only grows, so every call counted
  // after the bump has a generation of at least `current`, every older one less.
  uint32_t code = PT_GEN_CODE, reader = PT_GEN_READER;
  uint64_t a = 0, b = 0;
  bpf_map__lookup_elem(skel_->maps.generation, &code, sizeof(code), &a, sizeof(a), 0);
  ForgetSentNames();
  bpf_map__lookup_elem(skel_->maps.generation, &reader, sizeof(reader), &b, sizeof(b), 0);
  uint64_t current = a + b;
  int fd = bpf_map__fd(skel_->maps.call_counts);
  for (const pt_count_key& k : Keys<pt_count_key>(fd)) {
    uint64_t count = 0;
    // Calls made since the bump above count under the new generation: they
    // belong to the next read, so that each read ends at one instant rather
    // than key by key (which let hot() and warm() end apart by milliseconds).
    if (k.generation >= current) continue;
    // Atomic per key: a call in flight across the bump lands in the next read.
    if (bpf_map_lookup_and_delete_elem(fd, &k, &count) || !count) continue;
    out.push_back({k, count, CountNameOf(k.pid, k.generation, k.filename),
                   CountNameOf(k.pid, k.generation, k.funcname)});
  }
  for (bpf_map* names : {skel_->maps.count_short_names, skel_->maps.count_long_names}) {
    int names_fd = bpf_map__fd(names);
    for (const pt_name_key& k : Keys<pt_name_key>(names_fd))
      if (k.generation < current) bpf_map_delete_elem(names_fd, &k);
  }
  return out;
}

uint64_t BpfSession::Counter(uint32_t which) const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<uint64_t> values(ncpu);
  if (bpf_map__lookup_elem(skel_->maps.counters, &which, sizeof(which), values.data(),
                           values.size() * sizeof(uint64_t), 0))
    return 0;
  uint64_t sum = 0;
  for (uint64_t v : values) sum += v;
  return sum;
}

}  // namespace pytrace
