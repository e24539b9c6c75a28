// A stand-in for the kernel, for the benchmark: a thread that produces
// function-return records (struct pt_event; short realistic names, sent
// inline once per frame as the name cache does, or in every record with
// inlineNames) as fast as JsBatches accepts them. JS receives exactly what
// a NativeTrace would send ("batch", then "exit" and "end"), so the benchmark
// measures the real consumer path (JsBatches, BatchDecoder, Trace) without
// BPF in the way.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <thread>

#include "../../native/stream/js_batches.h"

namespace pytrace {

class SyntheticSource : public Napi::ObjectWrap<SyntheticSource> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new SyntheticSource({records, pid?, inlineNames?, calls?, batchBytes?, maxPendingBatches?,
  // dropWhenBehind?}, callback) calls: entries and returns in pairs (entry of a frame, then its return)
  // instead of returns alone.
  SyntheticSource(const Napi::CallbackInfo& info);
  ~SyntheticSource() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  // The same shape as NativeTrace.stats(), so a Trace can read it.
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  void Produce();
  void Shutdown();

  std::unique_ptr<JsBatches> batches_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> produced_{0};
  uint64_t records_ = 0;
  uint32_t pid_ = 0;
  bool inline_names_ = false;
  bool calls_ = false;
};

}  // namespace pytrace
