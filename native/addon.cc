// Module entry: marker discovery's ELF reader and the native Trace.
#include <napi.h>

#include "discovery/elf_notes.h"
#include "layout.h"
#include "native_error.h"
#include "trace.h"

namespace pytrace {
namespace {

Napi::Value BigU64(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }

// readElf(path, symbols?: string[])
//   -> { shared, interpreter, machine, notes, problems, segments, sections, symbols }
Napi::Value ReadElf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].ToString().Utf8Value();
  std::vector<std::string> wanted;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) wanted.push_back(a.Get(i).ToString().Utf8Value());
  }
  ElfInfo elf;
  try {
    elf = ReadElfInfo(path, wanted);
  } catch (const NativeError& e) {
    Napi::Error error = Napi::Error::New(env, e.what());
    error.Set("code", Napi::String::New(env, e.code));
    if (e.err) error.Set("errno", Napi::Number::New(env, e.err));
    throw error;
  } catch (const std::exception& e) {
    Napi::Error error = Napi::Error::New(env, e.what());
    error.Set("code", Napi::String::New(env, "PYTRACE_BAD_ELF"));
    throw error;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("shared", Napi::Boolean::New(env, elf.shared));
  out.Set("interpreter", Napi::Boolean::New(env, elf.interpreter));
  out.Set("machine", Napi::Number::New(env, elf.machine));
  Napi::Array notes = Napi::Array::New(env, elf.notes.size());
  for (size_t i = 0; i < elf.notes.size(); i++) {
    const SdtNote& n = elf.notes[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("provider", n.provider);
    o.Set("name", n.name);
    o.Set("pc", BigU64(env, n.pc));
    o.Set("base", BigU64(env, n.base));
    o.Set("semaphore", BigU64(env, n.semaphore));
    o.Set("args", n.args);
    notes.Set(i, o);
  }
  out.Set("notes", notes);
  Napi::Array problems = Napi::Array::New(env, elf.problems.size());
  for (size_t i = 0; i < elf.problems.size(); i++) {
    const NoteProblem& p = elf.problems[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("offset", Napi::Number::New(env, double(p.offset)));
    if (!p.provider.empty()) o.Set("provider", p.provider);
    o.Set("message", p.message);
    problems.Set(i, o);
  }
  out.Set("problems", problems);
  Napi::Array segs = Napi::Array::New(env, elf.segments.size());
  for (size_t i = 0; i < elf.segments.size(); i++) {
    const Segment& s = elf.segments[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("vaddr", BigU64(env, s.vaddr));
    o.Set("offset", BigU64(env, s.offset));
    o.Set("filesz", BigU64(env, s.filesz));
    o.Set("memsz", BigU64(env, s.memsz));
    o.Set("flags", Napi::Number::New(env, s.flags));
    segs.Set(i, o);
  }
  out.Set("segments", segs);
  Napi::Object secs = Napi::Object::New(env);
  for (const Section& s : elf.sections) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("addr", BigU64(env, s.addr));
    o.Set("offset", BigU64(env, s.offset));
    o.Set("size", BigU64(env, s.size));
    secs.Set(s.name, o);
  }
  out.Set("sections", secs);
  Napi::Object syms = Napi::Object::New(env);
  for (const ElfSymbol& s : elf.symbols) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("value", BigU64(env, s.value));
    o.Set("size", BigU64(env, s.size));
    syms.Set(s.name, o);
  }
  out.Set("symbols", syms);
  return out;
}

Napi::Value HasRingBuffer(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), KernelHasRingBuffer());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("readElf", Napi::Function::New(env, ReadElf));
  exports.Set("layout", LayoutObject(env));
  exports.Set("kernelHasRingBuffer", Napi::Function::New(env, HasRingBuffer));
  exports.Set("NativeTrace", NativeTrace::Define(env));
  return exports;
}

}  // namespace
}  // namespace pytrace

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return pytrace::Init(env, exports); }

NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitModule)
