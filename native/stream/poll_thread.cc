#include "poll_thread.h"

#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "../attach/bpf_session.h"
#include "../native_error.h"

namespace pytrace {
namespace {

enum Source : uint32_t { kData = 1, kStop = 2, kPidExit = 3 };

int OnRingRecord(void* ctx, void* data, size_t size) {
  static_cast<RecordSink*>(ctx)->Record(data, size);
  return 0;
}

void OnPerfRecord(void* ctx, int /*cpu*/, void* data, __u32 size) {
  static_cast<RecordSink*>(ctx)->Record(data, size);
}

void OnPerfLost(void* ctx, int /*cpu*/, __u64 count) { static_cast<RecordSink*>(ctx)->Lost(count); }

void Watch(int epoll_fd, int fd, Source source) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = source;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev))
    throw NativeError("PYTRACE_ATTACH_FAILED", std::string("epoll_ctl: ") + strerror(errno), errno);
}

}  // namespace

PollThread::PollThread(BpfSession& session, RecordSink* sink, int drain_ms, int min_gap_us, size_t perf_pages)
    : sink_(sink), drain_ms_(drain_ms), min_gap_(min_gap_us), pid_(session.pid()), follow_children_(session.subprocesses()) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || stop_fd_ < 0)
    throw NativeError("PYTRACE_ATTACH_FAILED", std::string("epoll: ") + strerror(errno), errno);
  int data_fd;
  if (session.transport() == Transport::kRing) {
    ring_ = ring_buffer__new(session.ring_fd(), OnRingRecord, sink_, nullptr);
    if (!ring_) throw NativeError("PYTRACE_ATTACH_FAILED", "Cannot open the BPF ring buffer", errno);
    data_fd = ring_buffer__epoll_fd(ring_);
  } else {
    time_order_ = std::make_unique<TimeOrder>(sink_);
    sink_ = time_order_.get();
    perf_ = perf_buffer__new(session.perf_fd(), perf_pages, OnPerfRecord, OnPerfLost, sink_, nullptr);
    if (!perf_) throw NativeError("PYTRACE_ATTACH_FAILED", "Cannot open the perf buffer", errno);
    data_fd = perf_buffer__epoll_fd(perf_);
  }
  Watch(epoll_fd_, data_fd, kData);
  Watch(epoll_fd_, stop_fd_, kStop);
  if (pid_ > 0) {
    // A pidfd turns readable when the process exits: the trace ends itself.
    pid_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (pid_fd_ < 0) {
      if (errno == ENOSYS)
        throw NativeError("PYTRACE_KERNEL_UNSUPPORTED", "This kernel has no pidfd_open (Linux 5.3).", errno);
      throw NativeError("PYTRACE_NO_PROCESS",
                        "Cannot watch process " + std::to_string(pid_) + ": " + strerror(errno) +
                            " (it exited, or it is a thread rather than a process).",
                        errno);
    }
    Watch(epoll_fd_, pid_fd_, kPidExit);
  }
}

PollThread::~PollThread() {
  Stop();
  if (ring_) ring_buffer__free(ring_);
  if (perf_) perf_buffer__free(perf_);
  for (int fd : {epoll_fd_, stop_fd_, pid_fd_})
    if (fd >= 0) close(fd);
}

void PollThread::Start() { thread_ = std::thread(&PollThread::Run, this); }

void PollThread::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof(one));
  thread_.join();
}

void PollThread::Drain() {
  if (time_order_) time_order_->DrainBegins();
  if (ring_) ring_buffer__consume(ring_);
  if (perf_) perf_buffer__consume(perf_);
  sink_->Flush();
}

void PollThread::Run() {
  epoll_event events[4];
  auto last_drain = std::chrono::steady_clock::now();
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, 4, drain_ms_);
    bool stop = false, exited = false;
    for (int i = 0; i < n; i++) {
      stop |= events[i].data.u32 == kStop;
      exited |= events[i].data.u32 == kPidExit;
    }
    // The kernel wakes us at the first record after we caught up. Draining
    // at once every time would cost the traced program a wake-up every few
    // records at full rate (measured: twice as slow); spacing drains by a
    // short gap keeps one wake-up per batch and the latency under a ms.
    if (!stop && !exited) std::this_thread::sleep_until(last_drain + min_gap_);
    last_drain = std::chrono::steady_clock::now();
    // The records of a target that exited are all in the buffer by now.
    Drain();
    if (exited) {
      sink_->TargetExited();
      // Its traced children may live on: JS ends the trace with the last.
      if (!follow_children_) return;
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, pid_fd_, nullptr);
    }
    if (stop) {
      if (time_order_) time_order_->ReleaseAll();
      return;
    }
  }
}

}  // namespace pytrace
