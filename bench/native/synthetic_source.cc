#include "synthetic_source.h"

#include <time.h>

#include <cstring>
#include <string>
#include <vector>

#include "usdt_event.h"

namespace pytrace {
namespace {

struct Frame {
  const char* filename;
  const char* function;
  int lineno;
};

// Names of the lengths a real application sends (stdlib and app code).
const Frame kFrames[] = {
    {"/usr/lib/python3.11/json/decoder.py", "raw_decode", 353},
    {"/usr/lib/python3.11/json/encoder.py", "iterencode", 205},
    {"/usr/lib/python3.11/re/_parser.py", "_parse", 512},
    {"/usr/lib/python3.11/collections/__init__.py", "__init__", 1090},
    {"/srv/app/handlers/orders.py", "validate_order", 88},
    {"/usr/lib/python3.11/typing.py", "inner", 352},
    {"/usr/lib/python3.11/enum.py", "__call__", 695},
    {"/srv/app/models.py", "get", 41},
};

// Where the names would live in the target: distinct, stable addresses.
pt_s64 Address(size_t frame, int arg) {
  return 0x7f3a00000000ll + static_cast<pt_s64>(frame * 0x200 + arg * 0x100);
}

// A record exactly as usdt_event.bpf.c sends it: arg[0] and arg[1] are the
// names' addresses; with `inline_names` their bytes follow (no NULs, lengths
// in str_len), as the first time a frame is seen; without, the reader
// already has them, as every later time with the name cache.
std::vector<uint8_t> Encode(size_t frame, uint32_t pid, bool inline_names,
                            pt_u8 type = PT_EV_FUNCTION_RETURN) {
  const Frame& f = kFrames[frame];
  size_t flen = inline_names ? strlen(f.filename) : 0, nlen = inline_names ? strlen(f.function) : 0;
  std::vector<uint8_t> out(sizeof(pt_event) + flen + nlen);
  pt_event ev{};
  ev.size = static_cast<pt_u16>(out.size());
  ev.type = type;
  ev.string_mask = inline_names ? 3 : 0;
  ev.pid = pid;
  ev.tid = pid;
  ev.str_len[0] = static_cast<pt_u8>(flen);
  ev.str_len[1] = static_cast<pt_u8>(nlen);
  ev.arg[0] = Address(frame, 0);
  ev.arg[1] = Address(frame, 1);
  ev.arg[2] = f.lineno;
  memcpy(out.data(), &ev, sizeof ev);
  memcpy(out.data() + sizeof ev, f.filename, flen);
  memcpy(out.data() + sizeof ev + flen, f.function, nlen);
  return out;
}

uint64_t MonotonicNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

uint64_t U64(const Napi::Object& o, const char* key, uint64_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? static_cast<uint64_t>(v.As<Napi::Number>().Int64Value()) : fallback;
}

}  // namespace

Napi::Function SyntheticSource::Define(Napi::Env env) {
  return DefineClass(
      env, "SyntheticSource",
      {InstanceMethod("start", &SyntheticSource::Start), InstanceMethod("stats", &SyntheticSource::Stats),
       InstanceMethod("close", &SyntheticSource::Close), InstanceMethod("ref", &SyntheticSource::Ref),
       InstanceMethod("unref", &SyntheticSource::Unref)});
}

SyntheticSource::SyntheticSource(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SyntheticSource>(info) {
  Napi::Object o = info[0].As<Napi::Object>();
  records_ = U64(o, "records", 0);
  pid_ = static_cast<uint32_t>(U64(o, "pid", 1));
  inline_names_ = o.Get("inlineNames").ToBoolean();
  calls_ = o.Get("calls").ToBoolean();
  BatchOptions bo;
  bo.batch_bytes = U64(o, "batchBytes", bo.batch_bytes);
  bo.max_pending = U64(o, "maxPendingBatches", bo.max_pending);
  bo.drop_when_behind = o.Get("dropWhenBehind").ToBoolean();
  batches_ = std::make_unique<JsBatches>(info.Env(), info[1].As<Napi::Function>(), bo);
}

SyntheticSource::~SyntheticSource() { Shutdown(); }

void SyntheticSource::Produce() {
  const size_t n = sizeof kFrames / sizeof kFrames[0];
  std::vector<std::vector<uint8_t>> first, later, first_entries, entries;
  for (size_t i = 0; i < n; i++) {
    first.push_back(Encode(i, pid_, true));
    later.push_back(Encode(i, pid_, inline_names_));
    first_entries.push_back(Encode(i, pid_, true, PT_EV_FUNCTION_ENTRY));
    entries.push_back(Encode(i, pid_, inline_names_, PT_EV_FUNCTION_ENTRY));
  }
  for (uint64_t i = 0; i < records_ && !stop_.load(std::memory_order_relaxed); i++) {
    // With calls: an entry of frame k (its names inline the first time), then its return.
    const uint64_t pair = i / 2;
    std::vector<uint8_t>& rec = !calls_      ? (i < n ? first[i] : later[i % n])
                                : i % 2 == 0 ? (pair < n ? first_entries[pair] : entries[pair % n])
                                             : later[pair % n];
    // A fresh timestamp per record, as bpf_ktime_get_ns() gives (vDSO: ~20 ns).
    uint64_t ts = MonotonicNs();
    memcpy(rec.data() + offsetof(pt_event, ts), &ts, sizeof ts);
    batches_->Record(rec.data(), rec.size());
    produced_.store(i + 1, std::memory_order_relaxed);
  }
  // As the poll thread does when the target exits: last batch, then "exit".
  batches_->Flush();
  if (!stop_) batches_->TargetExited();
}

Napi::Value SyntheticSource::Start(const Napi::CallbackInfo& info) {
  if (batches_ && !thread_.joinable()) thread_ = std::thread(&SyntheticSource::Produce, this);
  return info.Env().Undefined();
}

Napi::Value SyntheticSource::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object s = Napi::Object::New(env);
  auto num = [&](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  uint64_t dropped = batches_ ? batches_->dropped() : 0;
  s.Set("produced", num(produced_));
  s.Set("lost", num(dropped));
  s.Set("dropped", num(dropped));
  s.Set("batches", num(batches_ ? batches_->batches() : 0));
  s.Set("links", num(0));
  return s;
}

Napi::Value SyntheticSource::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value SyntheticSource::Ref(const Napi::CallbackInfo& info) {
  if (batches_) batches_->Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value SyntheticSource::Unref(const Napi::CallbackInfo& info) {
  if (batches_) batches_->Unref(info.Env());
  return info.Env().Undefined();
}

// Same order as NativeTrace: stop the producer, join it, then "end" to JS.
void SyntheticSource::Shutdown() {
  stop_ = true;
  if (batches_) batches_->Cancel();
  if (thread_.joinable()) thread_.join();
  if (batches_) batches_->Finish();
}

}  // namespace pytrace
