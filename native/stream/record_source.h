// Where the poll thread reads records from: the kernel's side of a transport
// (the BPF ring buffer, or the perf buffer). The poll thread knows only this.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "record_sink.h"

namespace pytrace {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Turns readable (epoll) when the kernel asks the reader to drain.
  virtual int ready_fd() const = 0;
  // Hands every record pending now to the sink, then flushes it.
  virtual void Drain() = 0;
  // Nothing more will be read: hands on whatever is held back.
  virtual void Finish() = 0;
};

// Both throw NativeError.
std::unique_ptr<RecordSource> OpenRingSource(int ring_map_fd, RecordSink* sink);
// pages: per-CPU buffer size in pages (a power of two). wakeup_bytes: wake the
// reader once this many bytes are pending on a CPU (0: at every record).
std::unique_ptr<RecordSource> OpenPerfSource(int perf_map_fd, size_t pages, uint64_t wakeup_bytes,
                                             RecordSink* sink);

}  // namespace pytrace
