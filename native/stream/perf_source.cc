// The perf buffer: one ring per CPU, for kernels without the BPF ring buffer.
//
// Wake-ups: libbpf's default perf buffer wakes the reader at every record
// (wakeup_events = 1), and each wake-up is an interrupt on the CPU that wrote
// it; at full rate that made the traced program about 6x slower than through
// the ring buffer (measured). Here a CPU's ring wakes the reader only once
// wakeup_bytes are pending on it (a watermark); the poll thread's drain timer
// picks up what stays below it. The price: at a low rate a record waits for
// that timer (measured at 1000 events/s: p99 5.2 ms, against 1.3 ms through
// the ring buffer); wakeup_bytes = 0 wakes at every record again.
//
// Loss: a record the ring has no room for is refused to the BPF program,
// which counts it. The kernel also counts it and later writes a "lost" record
// with that count: that one is ignored here, or every loss would count twice.
//
// Order: records of different CPUs are read one ring after the other, so they
// pass through TimeOrder before they go on.
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "../native_error.h"
#include "record_source.h"
#include "time_order.h"

namespace pytrace {
namespace {

class PerfSource : public RecordSource {
 public:
  PerfSource(int map_fd, size_t pages, uint64_t wakeup_bytes, RecordSink* sink) : order_(sink) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    // At most half the ring, so the reader is woken before the ring fills.
    uint64_t ring_bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    uint64_t watermark = std::min(wakeup_bytes, ring_bytes / 2);
    if (watermark > 0) {
      attr.watermark = 1;
      attr.wakeup_watermark = static_cast<uint32_t>(watermark);
    } else {
      attr.wakeup_events = 1;
    }
    perf_ = perf_buffer__new_raw(map_fd, pages, &attr, OnEvent, &order_, nullptr);
    if (!perf_) throw NativeError("PYTRACE_ATTACH_FAILED", "Cannot open the perf buffer", errno);
  }
  ~PerfSource() override { perf_buffer__free(perf_); }

  int ready_fd() const override { return perf_buffer__epoll_fd(perf_); }
  void Drain() override {
    order_.DrainBegins();
    perf_buffer__consume(perf_);
    order_.Flush();
  }
  void Finish() override { order_.ReleaseAll(); }

 private:
  // A PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: the header, the size, the bytes.
  struct RawSample {
    perf_event_header header;
    uint32_t size;
    uint8_t data[];
  };

  static bpf_perf_event_ret OnEvent(void* ctx, int /*cpu*/, perf_event_header* event) {
    if (event->type == PERF_RECORD_SAMPLE) {
      auto* sample = reinterpret_cast<RawSample*>(event);
      static_cast<TimeOrder*>(ctx)->Record(sample->data, sample->size);
    }
    // PERF_RECORD_LOST: already counted by the BPF program (see above).
    return LIBBPF_PERF_EVENT_CONT;
  }

  TimeOrder order_;
  perf_buffer* perf_ = nullptr;
};

}  // namespace

std::unique_ptr<RecordSource> OpenPerfSource(int perf_map_fd, size_t pages, uint64_t wakeup_bytes,
                                             RecordSink* sink) {
  return std::make_unique<PerfSource>(perf_map_fd, pages, wakeup_bytes, sink);
}

}  // namespace pytrace
