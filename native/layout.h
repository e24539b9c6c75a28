// The kernel/JS contract (native/bpf/usdt_event.h) as a plain object for TypeScript.
#pragma once
#include <napi.h>

namespace pytrace {

// { event, auditItem: {size, offsets}, enums by C name, limits, registers }
Napi::Object LayoutObject(Napi::Env env);

}  // namespace pytrace
