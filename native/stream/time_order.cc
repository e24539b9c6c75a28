#include "time_order.h"

#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "usdt_event.h"

namespace pytrace {

void TimeOrder::DrainBegins() {
  // CLOCK_MONOTONIC is the clock of bpf_ktime_get_ns().
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  drain_started_ = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

void TimeOrder::Record(const void* data, size_t size) {
  uint64_t ts = 0;
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  // A stack sample's header is shorter, its time elsewhere (python_layout.h).
  if (size >= sizeof(pt_sample) && bytes[offsetof(pt_event, type)] == PT_EV_STACK_SAMPLE)
    memcpy(&ts, bytes + offsetof(pt_sample, ts), sizeof(ts));
  else if (size >= sizeof(pt_event))
    memcpy(&ts, bytes + offsetof(pt_event, ts), sizeof(ts));
  held_.push_back({ts, bytes_.size(), size});
  bytes_.insert(bytes_.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
}

void TimeOrder::Release(uint64_t before) {
  std::stable_sort(held_.begin(), held_.end(), [](const Held& a, const Held& b) { return a.ts < b.ts; });
  kept_.clear();
  kept_bytes_.clear();
  for (const Held& r : held_) {
    if (r.ts < before) {
      next_->Record(bytes_.data() + r.offset, r.size);
    } else {
      kept_.push_back({r.ts, kept_bytes_.size(), r.size});
      kept_bytes_.insert(kept_bytes_.end(), bytes_.begin() + r.offset, bytes_.begin() + r.offset + r.size);
    }
  }
  held_.swap(kept_);
  bytes_.swap(kept_bytes_);
}

void TimeOrder::Flush() {
  Release(drain_started_);
  next_->Flush();
}

void TimeOrder::ReleaseAll() {
  Release(UINT64_MAX);
  next_->Flush();
}

void TimeOrder::TargetExited() {
  ReleaseAll();
  next_->TargetExited();
}

}  // namespace pytrace
