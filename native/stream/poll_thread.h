// The dedicated thread that reads records out of a RecordSource (the BPF ring
// buffer or the perf buffer) into a RecordSink. It wakes on the kernel's
// notification, on a drain timer (the kernel side wakes it only once enough
// is pending), on the target's exit (a pidfd) and on Stop().
#pragma once
#include <chrono>
#include <memory>
#include <thread>

#include "../unique_fd.h"
#include "record_sink.h"
#include "record_source.h"

namespace pytrace {

struct DrainTiming {
  int drain_ms;    // drain at least this often
  int min_gap_us;  // and at most once per this
};

class PollThread {
 public:
  // pid > 0: the trace ends when that process exits. Throws NativeError;
  // nothing is left open then.
  // follow_children: the target's exit does not end the thread (its traced children may live on).
  PollThread(std::unique_ptr<RecordSource> source, RecordSink* sink, int pid, bool follow_children,
             DrainTiming timing);
  ~PollThread();
  PollThread(const PollThread&) = delete;
  PollThread& operator=(const PollThread&) = delete;

  void Start();
  // Drains what is pending, then joins the thread. Idempotent.
  void Stop();

 private:
  void Run();

  std::unique_ptr<RecordSource> source_;
  RecordSink* sink_;
  int drain_ms_;
  std::chrono::microseconds min_gap_;
  bool follow_children_;
  UniqueFd epoll_fd_;
  UniqueFd stop_fd_;
  UniqueFd pid_fd_;
  std::thread thread_;
};

}  // namespace pytrace
