// The BPF ring buffer: one queue for every CPU, in the order records were
// reserved. The BPF program decides when the reader is woken (wakeup_bytes).
#include <bpf/libbpf.h>

#include <cerrno>

#include "../native_error.h"
#include "record_source.h"

namespace pytrace {
namespace {

class RingSource : public RecordSource {
 public:
  RingSource(int map_fd, RecordSink* sink) : sink_(sink) {
    ring_ = ring_buffer__new(map_fd, OnRecord, sink_, nullptr);
    if (!ring_) throw NativeError("PYTRACE_ATTACH_FAILED", "Cannot open the BPF ring buffer", errno);
  }
  ~RingSource() override { ring_buffer__free(ring_); }

  int ready_fd() const override { return ring_buffer__epoll_fd(ring_); }
  void Drain() override {
    ring_buffer__consume(ring_);
    sink_->Flush();
  }
  void Finish() override {}

 private:
  static int OnRecord(void* ctx, void* data, size_t size) {
    static_cast<RecordSink*>(ctx)->Record(data, size);
    return 0;
  }

  RecordSink* sink_;
  ring_buffer* ring_ = nullptr;
};

}  // namespace

std::unique_ptr<RecordSource> OpenRingSource(int ring_map_fd, RecordSink* sink) {
  return std::make_unique<RingSource>(ring_map_fd, sink);
}

}  // namespace pytrace
