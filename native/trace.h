// The native half of a Trace: owns the BPF session, the poll thread and the
// batches to JS, and tears them down in the right order on close() or in the
// finalizer: links first (no new records), then the poll thread (it drains
// what is left and joins), then the JS function (it gets "end" after the last
// batch), then the BPF program and its maps.
#pragma once
#include <napi.h>

#include <memory>

#include "attach/bpf_session.h"
#include "process/process_follower.h"
#include "stream/js_batches.h"
#include "stream/poll_thread.h"

namespace pytrace {

class NativeTrace : public Napi::ObjectWrap<NativeTrace> {
 public:
  static Napi::Function Define(Napi::Env env);
  NativeTrace(const Napi::CallbackInfo& info);
  ~NativeTrace() override;

 private:
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value TakeCallCounts(const Napi::CallbackInfo& info);
  Napi::Value TraceFiles(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value ProfileProcess(const Napi::CallbackInfo& info);
  Napi::Value AttachSampling(const Napi::CallbackInfo& info);
  Napi::Value SampleCounters(const Napi::CallbackInfo& info);
  Napi::Value DumpThreads(const Napi::CallbackInfo& info);
  void SaveSampleCounters();
  void Shutdown();

  std::unique_ptr<BpfSession> session_;
  std::unique_ptr<JsBatches> batches_;
  std::unique_ptr<ProcessFollower> follower_;
  std::unique_ptr<PollThread> poll_;
  uint64_t refused_at_close_ = 0;
  uint64_t sample_counters_[PT_SAMPLE_COUNT_MAX] = {};  // kept for stats after close
  const char* link_kind_ = "";                          // kept for stats() after close
};

// Turns a NativeError (or any exception) into a JS Error with `code`.
[[noreturn]] void ThrowJs(Napi::Env env, const std::exception& e);

}  // namespace pytrace
