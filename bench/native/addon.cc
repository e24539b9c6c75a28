// The benchmark's own addon (binding.gyp's pytrace_bench): the JS consumer
// path fed without the kernel. Not part of the library's addon.
#include <napi.h>

#include "synthetic_source.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("SyntheticSource", pytrace::SyntheticSource::Define(env));
  return exports;
}

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
