// The dedicated thread that reads records out of the BPF ring buffer (or perf
// buffer) and hands them to a RecordSink. It wakes on the kernel's
// notification, on a drain timer (the BPF side suppresses notifications until
// enough is pending), on the target's exit (a pidfd) and on Stop().
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "record_sink.h"
#include "time_order.h"

struct ring_buffer;
struct perf_buffer;

namespace pytrace {

class BpfSession;

class PollThread {
 public:
  // perf_pages: per-CPU buffer size for the perf transport (a power of two).
  // drain_ms: drain at least this often; min_gap_us: at most once per this.
  PollThread(BpfSession& session, RecordSink* sink, int drain_ms, int min_gap_us, size_t perf_pages);
  ~PollThread();
  PollThread(const PollThread&) = delete;
  PollThread& operator=(const PollThread&) = delete;

  void Start();
  // Drains what is pending, then joins the thread. Idempotent.
  void Stop();

 private:
  void Run();
  void Drain();

  RecordSink* sink_;  // the perf transport's records pass through time_order_
  std::unique_ptr<TimeOrder> time_order_;
  int drain_ms_;
  std::chrono::microseconds min_gap_;
  int pid_;
  bool follow_children_;
  ring_buffer* ring_ = nullptr;
  perf_buffer* perf_ = nullptr;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  int pid_fd_ = -1;
  std::thread thread_;
};

}  // namespace pytrace
