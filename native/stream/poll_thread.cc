#include "poll_thread.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "../native_error.h"

namespace pytrace {
namespace {

enum Wake : uint32_t { kData = 1, kStop = 2, kPidExit = 3 };

void Watch(int epoll_fd, int fd, Wake wake) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = wake;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev))
    throw NativeError("PYTRACE_ATTACH_FAILED", std::string("epoll_ctl: ") + strerror(errno), errno);
}

}  // namespace

PollThread::PollThread(std::unique_ptr<RecordSource> source, RecordSink* sink, int pid, bool follow_children,
                       DrainTiming timing)
    : source_(std::move(source)),
      sink_(sink),
      drain_ms_(timing.drain_ms),
      min_gap_(timing.min_gap_us),
      follow_children_(follow_children) {
  epoll_fd_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  stop_fd_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_fd_.valid() || !stop_fd_.valid())
    throw NativeError("PYTRACE_ATTACH_FAILED", std::string("epoll: ") + strerror(errno), errno);
  Watch(epoll_fd_.get(), source_->ready_fd(), kData);
  Watch(epoll_fd_.get(), stop_fd_.get(), kStop);
  if (pid > 0) {
    // A pidfd turns readable when the process exits: the trace ends itself.
    pid_fd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pid_fd_.valid()) {
      if (errno == ENOSYS)
        throw NativeError("PYTRACE_KERNEL_UNSUPPORTED", "This kernel has no pidfd_open (Linux 5.3).", errno);
      throw NativeError("PYTRACE_NO_PROCESS",
                        "Cannot watch process " + std::to_string(pid) + ": " + strerror(errno) +
                            " (it exited, or it is a thread rather than a process).",
                        errno);
    }
    Watch(epoll_fd_.get(), pid_fd_.get(), kPidExit);
  }
}

PollThread::~PollThread() { Stop(); }

void PollThread::Start() { thread_ = std::thread(&PollThread::Run, this); }

void PollThread::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!write(stop_fd_.get(), &one, sizeof(one));
  thread_.join();
}

void PollThread::Run() {
  epoll_event events[4];
  auto last_drain = std::chrono::steady_clock::now();
  for (;;) {
    int n = epoll_wait(epoll_fd_.get(), events, 4, drain_ms_);
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
    source_->Drain();
    if (exited && follow_children_) {
      // Its traced children may live on: JS ends the trace with the last.
      sink_->TargetExited();
      epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, pid_fd_.get(), nullptr);
      exited = false;
    }
    if (exited || stop) {
      source_->Finish();
      if (exited) sink_->TargetExited();
      return;
    }
  }
}

}  // namespace pytrace
