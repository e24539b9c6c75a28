#include "trace.h"

#include <cstring>

#include "native_error.h"

namespace pytrace {
namespace {

// Every option comes from the caller (lib/ holds the one table of defaults):
// a missing one is the caller's mistake, said as such.
uint64_t Required(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber() && !v.IsBigInt())
    throw NativeError("PYTRACE_BAD_OPTION",
                      std::string("NativeTrace needs the option `") + key + "` (a number).");
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

uint64_t U64(const Napi::Object& o, const char* key, uint64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsNumber()) return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return fallback;
}

pt_spec ReadSpec(const Napi::Object& o) {
  pt_spec spec{};
  spec.event_type = static_cast<uint8_t>(U64(o, "type", 0));
  spec.track_only = o.Get("trackOnly").ToBoolean();
  Napi::Array args = o.Get("args").As<Napi::Array>();
  spec.nargs = static_cast<uint8_t>(std::min<uint32_t>(args.Length(), PT_MAX_ARGS));
  for (uint32_t i = 0; i < spec.nargs; i++) {
    Napi::Object a = args.Get(i).As<Napi::Object>();
    pt_arg_spec& s = spec.args[i];
    s.kind = static_cast<uint8_t>(U64(a, "kind", 0));
    s.value = static_cast<int64_t>(U64(a, "value", 0));
    s.reg_off = static_cast<uint16_t>(U64(a, "regOffset", 0));
    s.index_off = static_cast<uint16_t>(U64(a, "indexOffset", 0));
    s.scale = static_cast<uint8_t>(U64(a, "scale", 1));
    s.size = static_cast<uint8_t>(U64(a, "size", 8));
    s.is_signed = a.Get("signed").ToBoolean();
    s.is_string = a.Get("string").ToBoolean();
  }
  return spec;
}

}  // namespace

void ThrowJs(Napi::Env env, const std::exception& e) {
  Napi::Error error = Napi::Error::New(env, e.what());
  if (auto* ne = dynamic_cast<const NativeError*>(&e)) {
    error.Set("code", Napi::String::New(env, ne->code));
    if (ne->err) error.Set("errno", Napi::Number::New(env, ne->err));
  }
  throw error;
}

Napi::Function NativeTrace::Define(Napi::Env env) {
  return DefineClass(
      env, "NativeTrace",
      {InstanceMethod("attach", &NativeTrace::Attach), InstanceMethod("start", &NativeTrace::Start),
       InstanceMethod("stats", &NativeTrace::Stats), InstanceMethod("close", &NativeTrace::Close),
       InstanceMethod("takeCallCounts", &NativeTrace::TakeCallCounts),
       InstanceMethod("traceFiles", &NativeTrace::TraceFiles), InstanceMethod("resume", &NativeTrace::Resume),
       InstanceMethod("ref", &NativeTrace::Ref),
       InstanceMethod("profileProcess", &NativeTrace::ProfileProcess),
       InstanceMethod("attachSampling", &NativeTrace::AttachSampling),
       InstanceMethod("sampleCounters", &NativeTrace::SampleCounters),
       InstanceMethod("dumpThreads", &NativeTrace::DumpThreads),
       InstanceMethod("unref", &NativeTrace::Unref)});
}

// new NativeTrace(options, callback)
NativeTrace::NativeTrace(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeTrace>(info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  try {
    SessionOptions so;
    so.pid = static_cast<int>(static_cast<int64_t>(Required(o, "pid")));
    so.transport = o.Get("transport").ToString().Utf8Value() == "perf" ? Transport::kPerf : Transport::kRing;
    so.ring_bytes = static_cast<uint32_t>(Required(o, "ringBytes"));
    if (o.Get("within").IsString()) so.within = o.Get("within").ToString().Utf8Value();
    so.cache_names = o.Get("cacheNames").ToBoolean();
    so.ns_ids = o.Get("nsIds").ToBoolean();
    so.single_uprobes = o.Get("singleUprobes").ToBoolean();
    so.no_cookies = o.Get("noCookies").ToBoolean();
    so.subprocesses = o.Get("subprocesses").ToBoolean();
    so.sampling = o.Get("sampling").ToBoolean();
    so.watch_execs = o.Get("watchExecs").ToBoolean();
    so.dump = o.Get("dump").ToBoolean();

    // Read every option before anything is opened.
    so.wakeup_bytes = Required(o, "wakeupBytes");
    size_t perf_pages = Required(o, "perfPages");
    DrainTiming timing{static_cast<int>(Required(o, "drainMs")),
                       static_cast<int>(Required(o, "minDrainGapUs"))};
    BatchOptions bo;
    bo.batch_bytes = Required(o, "batchBytes");
    bo.max_pending = Required(o, "maxPendingBatches");
    bo.drop_when_behind = o.Get("dropWhenBehind").ToBoolean();
    session_ = std::make_unique<BpfSession>(so);
    link_kind_ = session_->link_kind();

    batches_ = std::make_unique<JsBatches>(env, info[1].As<Napi::Function>(), bo);
    BpfSession* session = session_.get();
    batches_->on_drop = [session] { session->ForgetSentNames(); };
    // Process records (fork, exec, exit) are acted on by the follower before they reach JS.
    follower_ = std::make_unique<ProcessFollower>(batches_.get(), *session_);
    std::unique_ptr<RecordSource> source =
        session_->transport() == Transport::kRing
            ? OpenRingSource(session_->ring_fd(), follower_.get())
            : OpenPerfSource(session_->perf_fd(), perf_pages, so.wakeup_bytes, follower_.get());
    poll_ = std::make_unique<PollThread>(std::move(source), follower_.get(), session_->pid(), so.subprocesses,
                                         timing);
  } catch (const std::exception& e) {
    Shutdown();
    ThrowJs(env, e);
  }
}

NativeTrace::~NativeTrace() { Shutdown(); }

// attach([{path, offset, refCtrOffset, anchor, spec}]): all or nothing.
Napi::Value NativeTrace::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!session_) throw Napi::Error::New(env, "The trace is closed");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<UprobeTarget> targets;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Object t = list.Get(i).As<Napi::Object>();
    UprobeTarget target;
    target.path = t.Get("path").ToString().Utf8Value();
    target.offset = U64(t, "offset", 0);
    target.ref_ctr_offset = U64(t, "refCtrOffset", 0);
    target.address = U64(t, "address", 0);
    if (t.Get("pid").IsNumber()) target.pid = t.Get("pid").As<Napi::Number>().Int32Value();
    std::string program = t.Get("program").ToString().Utf8Value();
    target.program = program == "anchor"         ? UprobeTarget::kAnchor
                     : program == "count"        ? UprobeTarget::kCount
                     : program == "code-created" ? UprobeTarget::kCodeCreated
                                                 : UprobeTarget::kEvent;
    if (t.Get("audit").IsObject()) {
      Napi::Object a = t.Get("audit").As<Napi::Object>();
      target.audit.enabled = 1;
      target.audit.str_type = static_cast<int64_t>(U64(a, "strType", 0));
      target.audit.bytes_type = static_cast<int64_t>(U64(a, "bytesType", 0));
      target.audit.long_type = static_cast<int64_t>(U64(a, "longType", 0));
      target.audit.tuple_type = static_cast<int64_t>(U64(a, "tupleType", 0));
      target.audit.none = static_cast<int64_t>(U64(a, "none", 0));
      target.audit.ascii_data = static_cast<uint8_t>(U64(a, "asciiData", 48));
      target.audit.compact_data = static_cast<uint8_t>(U64(a, "compactData", 72));
      target.audit.long_tag = a.Get("longTag").ToBoolean();
      target.audit.tuple_items = static_cast<uint8_t>(U64(a, "tupleItems", 24));
    }
    if (target.program == UprobeTarget::kEvent || target.program == UprobeTarget::kCount)
      target.spec = ReadSpec(t.Get("spec").As<Napi::Object>());
    targets.push_back(std::move(target));
  }
  try {
    session_->Attach(targets);
  } catch (const std::exception& e) {
    ThrowJs(env, e);
  }
  return Napi::Number::New(env, static_cast<double>(session_->links()));
}

Napi::Value NativeTrace::Start(const Napi::CallbackInfo& info) {
  if (poll_) poll_->Start();
  return info.Env().Undefined();
}

Napi::Value NativeTrace::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object s = Napi::Object::New(env);
  uint64_t refused = session_ ? session_->Counter(PT_COUNT_LOST) : refused_at_close_;
  uint64_t dropped = batches_ ? batches_->dropped() : 0;
  s.Set("lost", Napi::Number::New(env, static_cast<double>(refused + dropped)));
  s.Set("dropped", Napi::Number::New(env, static_cast<double>(dropped)));
  s.Set("batches", Napi::Number::New(env, static_cast<double>(batches_ ? batches_->batches() : 0)));
  s.Set("links", Napi::Number::New(env, static_cast<double>(session_ ? session_->links() : 0)));
  s.Set("linkKind", Napi::String::New(env, link_kind_));
  return s;
}

// takeCallCounts() -> [{pid, lineno, filename, function, count}], since the
// last call; a name is {address, bytes: Buffer, flags} (enum pt_name_flags).
Napi::Value NativeTrace::TakeCallCounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!session_) throw Napi::Error::New(env, "The trace is closed");
  std::vector<CallCount> counts = session_->TakeCallCounts();
  auto name = [env](uint64_t address, const CountName& n) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", Napi::Number::New(env, static_cast<double>(address)));
    o.Set("bytes", Napi::Buffer<char>::Copy(env, n.bytes.data(), n.bytes.size()));
    o.Set("flags", Napi::Number::New(env, n.flags));
    return o;
  };
  Napi::Array out = Napi::Array::New(env, counts.size());
  for (size_t i = 0; i < counts.size(); i++) {
    const pt_count_key& k = counts[i].key;
    Napi::Object o = Napi::Object::New(env);
    o.Set("pid", Napi::Number::New(env, k.pid));
    o.Set("lineno", Napi::Number::New(env, static_cast<int32_t>(k.lineno)));
    o.Set("filename", name(k.filename, counts[i].filename));
    o.Set("function", name(k.funcname, counts[i].funcname));
    o.Set("count", Napi::Number::New(env, static_cast<double>(counts[i].count)));
    out.Set(i, o);
  }
  return out;
}

// traceFiles([{dev, ino}]): the files the uprobes are on (dev as the kernel numbers it).
Napi::Value NativeTrace::TraceFiles(const Napi::CallbackInfo& info) {
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<pt_file_id> files;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Object f = list.Get(i).As<Napi::Object>();
    pt_file_id id{};
    id.ino = U64(f, "ino", 0);
    id.dev = static_cast<uint32_t>(U64(f, "dev", 0));
    files.push_back(id);
  }
  if (session_) session_->AddTracedFiles(files);
  return info.Env().Undefined();
}

// resume(pid): a process held at an exec into another program goes on.
Napi::Value NativeTrace::Resume(const Napi::CallbackInfo& info) {
  if (follower_) follower_->Resume(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// profileProcess(pid, layout: Buffer of struct pt_python_layout)
Napi::Value NativeTrace::ProfileProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!session_) throw Napi::Error::New(env, "The trace is closed");
  Napi::Buffer<uint8_t> b = info[1].As<Napi::Buffer<uint8_t>>();
  if (b.Length() != sizeof(pt_python_layout))
    throw Napi::Error::New(
        env, "profileProcess: a layout is " + std::to_string(sizeof(pt_python_layout)) + " bytes");
  pt_python_layout layout;
  memcpy(&layout, b.Data(), sizeof(layout));
  try {
    session_->ProfileProcess(info[0].As<Napi::Number>().Uint32Value(), layout);
  } catch (const std::exception& e) {
    ThrowJs(env, e);
  }
  return env.Undefined();
}

// attachSampling(hz)
Napi::Value NativeTrace::AttachSampling(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!session_) throw Napi::Error::New(env, "The trace is closed");
  try {
    session_->AttachSampling(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  } catch (const std::exception& e) {
    ThrowJs(env, e);
  }
  return Napi::Number::New(env, static_cast<double>(session_->links()));
}

// dumpThreads(pid) -> Buffer of struct pt_sample records, one per thread.
Napi::Value NativeTrace::DumpThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!session_) throw Napi::Error::New(env, "The trace is closed");
  try {
    std::string bytes = session_->DumpThreads(info[0].As<Napi::Number>().Uint32Value());
    return Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    ThrowJs(env, e);
  }
}

// sampleCounters() -> [counter by enum pt_sample_counter], summed over CPUs.
Napi::Value NativeTrace::SampleCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (session_) SaveSampleCounters();
  Napi::Array out = Napi::Array::New(env, PT_SAMPLE_COUNT_MAX);
  for (uint32_t i = 0; i < PT_SAMPLE_COUNT_MAX; i++)
    out.Set(i, Napi::Number::New(env, static_cast<double>(sample_counters_[i])));
  return out;
}

void NativeTrace::SaveSampleCounters() {
  for (uint32_t i = 0; i < PT_SAMPLE_COUNT_MAX; i++) sample_counters_[i] = session_->SampleCounter(i);
}

Napi::Value NativeTrace::Close(const Napi::CallbackInfo& info) {
  // close() resolves on "end": an unref()'d trace holds the loop until then.
  if (batches_) batches_->Ref(info.Env());
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value NativeTrace::Ref(const Napi::CallbackInfo& info) {
  if (batches_) batches_->Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value NativeTrace::Unref(const Napi::CallbackInfo& info) {
  if (batches_) batches_->Unref(info.Env());
  return info.Env().Undefined();
}

void NativeTrace::Shutdown() {
  // Links first: no new records; then the thread drains and joins; then JS
  // gets "end" after the last batch.
  if (follower_) follower_->Stop();
  if (session_) session_->Detach();
  if (batches_) batches_->Cancel();
  if (poll_) poll_->Stop();
  poll_.reset();
  if (follower_) follower_->ReleaseHeld();
  follower_.reset();
  if (batches_) batches_->Finish();
  // The kernel's loss count outlives the session, for stats() after close.
  if (session_) refused_at_close_ = session_->Counter(PT_COUNT_LOST);
  if (session_) SaveSampleCounters();
  session_.reset();
}

}  // namespace pytrace
