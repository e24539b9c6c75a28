// Puts the perf buffer's records back in time order before they go on.
//
// The perf buffer is one ring per CPU, read one CPU after the other. A thread
// that migrates leaves its earlier records on one CPU's ring and its later ones
// on another's, so reading the rings in turn can hand a return over before the
// entry it closes (seen: two threads' hierarchies interleaved wrongly). The BPF
// ring buffer, one queue for every CPU, has no such problem and skips this.
//
// Within a drain the records are sorted by timestamp. Across drains: a thread
// writes its record before it runs on, so every earlier record of a thread was
// written before the later one was stamped. For a record stamped before the
// drain began, they were all in the rings when it began and have been read:
// such records go on. A record stamped later waits for the next drain, where
// an earlier record of its thread may still arrive. Cost: at most one more
// drain interval of latency, on this transport only.
#pragma once
#include <cstdint>
#include <vector>

#include "record_sink.h"

namespace pytrace {

class TimeOrder : public RecordSink {
 public:
  explicit TimeOrder(RecordSink* next) : next_(next) {}

  // Before the rings are read: the cut-off for what may go on at Flush().
  void DrainBegins();
  // Sends everything held: nothing more will be read.
  void ReleaseAll();

  void Record(const void* data, size_t size) override;
  void Flush() override;
  void TargetExited() override;

 private:
  struct Held {
    uint64_t ts;
    size_t offset;
    size_t size;
  };
  void Release(uint64_t before);

  RecordSink* next_;
  uint64_t drain_started_ = 0;
  std::vector<Held> held_;
  std::vector<uint8_t> bytes_;
  std::vector<Held> kept_;  // reused between drains
  std::vector<uint8_t> kept_bytes_;
};

}  // namespace pytrace
