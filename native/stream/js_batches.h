// Hands records to JS in batches through one thread-safe function: the poll
// thread appends records to a batch and sends whole batches, never one call
// per event. At most `max_pending` batches wait for JS; past that the poll
// thread either waits (the BPF side then counts what the full ring refuses)
// or drops the batch and counts its records.
#pragma once
#include <napi.h>
#include <sys/mman.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "record_sink.h"

namespace pytrace {

struct JsMessage;

// Batch buffers are filled on the poll thread and freed on the JS thread;
// from malloc, that grows an arena which never shrinks (measured: +40 MiB in
// 4 minutes at full rate). So they come from mmap, and a few are reused.
template <class T>
struct PageAllocator {
  using value_type = T;
  PageAllocator() = default;
  template <class U>
  PageAllocator(const PageAllocator<U>&) {}
  T* allocate(size_t n) {
    void* p = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) { munmap(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const PageAllocator<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const PageAllocator<U>&) const {
    return false;
  }
};
using BatchBytes = std::vector<uint8_t, PageAllocator<uint8_t>>;

// Shared: an ArrayBuffer may outlive its trace.
class BufferPool {
 public:
  explicit BufferPool(size_t bytes) : bytes_(bytes) {}
  BatchBytes Take();
  void Give(BatchBytes&& buffer);

 private:
  size_t bytes_;
  std::mutex mutex_;
  std::vector<BatchBytes> free_;
};

// Every value comes from the caller (the defaults live in lib/, once).
struct BatchOptions {
  size_t batch_bytes = 0;
  size_t max_pending = 0;
  bool drop_when_behind = false;
};

class JsBatches : public RecordSink {
 public:
  // callback(kind, arrayBuffer|undefined, records): kind is "batch", "exit" or "end".
  JsBatches(Napi::Env env, Napi::Function callback, const BatchOptions& options);
  ~JsBatches() override;

  void Record(const void* data, size_t size) override;
  void Flush() override;
  void TargetExited() override;

  // Main thread. Sends "end" after everything queued, then lets the function go.
  void Finish();
  // Wakes a poll thread waiting for room, for shutdown.
  void Cancel();
  void Ref(Napi::Env env) { tsfn_.Ref(env); }
  void Unref(Napi::Env env) { tsfn_.Unref(env); }

  // Called on the poll thread after a batch is dropped.
  std::function<void()> on_drop;

  uint64_t dropped() const { return dropped_; }
  uint64_t batches() const { return batches_; }

  static void CallJs(Napi::Env env, Napi::Function callback, JsBatches* self, JsMessage* msg);

 private:
  void Send(JsMessage* msg);
  void Delivered();
  static void Deliver(Napi::Env env, Napi::Function callback, JsBatches* self, JsMessage* msg);

  using Tsfn = Napi::TypedThreadSafeFunction<JsBatches, JsMessage, &JsBatches::CallJs>;
  Tsfn tsfn_;
  BatchOptions options_;
  std::shared_ptr<BufferPool> pool_;
  BatchBytes batch_;
  uint32_t batch_records_ = 0;
  std::mutex mutex_;
  std::condition_variable room_;
  size_t pending_ = 0;
  bool cancelled_ = false;
  bool finished_ = false;
  std::atomic<uint64_t> dropped_{0}, batches_{0};
};

}  // namespace pytrace
