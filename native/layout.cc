// Every byte offset, enum value and limit of usdt_event.h that TypeScript
// uses, under its C name: the decoder is given these, never copies of them.
#include "layout.h"

#include <cstddef>
#include <string>

#include "bpf/process_events.h"
#include "bpf/usdt_event.h"

namespace pytrace {
namespace {

#define PT_FIELD(o, type, field) o.Set(#field, Napi::Number::New(env, offsetof(type, field)))
#define PT_VALUE(o, name) o.Set(#name, Napi::Number::New(env, name))

Napi::Object Record(Napi::Env env, size_t size, Napi::Object offsets) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("size", Napi::Number::New(env, static_cast<double>(size)));
  o.Set("offsets", offsets);
  return o;
}

Napi::Object EventRecord(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
  PT_FIELD(f, pt_event, size);
  PT_FIELD(f, pt_event, type);
  PT_FIELD(f, pt_event, string_mask);
  PT_FIELD(f, pt_event, pid);
  PT_FIELD(f, pt_event, tid);
  PT_FIELD(f, pt_event, unread_mask);
  PT_FIELD(f, pt_event, truncated_mask);
  PT_FIELD(f, pt_event, str_len);
  PT_FIELD(f, pt_event, ts);
  PT_FIELD(f, pt_event, arg);
  PT_FIELD(f, pt_event, ns_pid);
  PT_FIELD(f, pt_event, ns_tid);
  return Record(env, sizeof(pt_event), f);
}

Napi::Object AuditItemRecord(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
  PT_FIELD(f, pt_audit_item, kind);
  PT_FIELD(f, pt_audit_item, flags);
  PT_FIELD(f, pt_audit_item, len);
  PT_FIELD(f, pt_audit_item, count);
  return Record(env, sizeof(pt_audit_item), f);
}

Napi::Object SampleRecord(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
  PT_FIELD(f, pt_sample, size);
  PT_FIELD(f, pt_sample, type);
  PT_FIELD(f, pt_sample, flags);
  PT_FIELD(f, pt_sample, pid);
  PT_FIELD(f, pt_sample, tid);
  PT_FIELD(f, pt_sample, depth);
  PT_FIELD(f, pt_sample, status);
  PT_FIELD(f, pt_sample, ts);
  PT_FIELD(f, pt_sample, ns_pid);
  PT_FIELD(f, pt_sample, ns_tid);
  return Record(env, sizeof(pt_sample), f);
}

Napi::Object SampleFrameRecord(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
  PT_FIELD(f, pt_sample_frame, code);
  PT_FIELD(f, pt_sample_frame, offset);
  PT_FIELD(f, pt_sample_frame, identity);
  return Record(env, sizeof(pt_sample_frame), f);
}

Napi::Object PythonLayoutRecord(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
  PT_FIELD(f, pt_python_layout, runtime);
  PT_FIELD(f, pt_python_layout, code_type);
  PT_FIELD(f, pt_python_layout, interpreters_head);
  PT_FIELD(f, pt_python_layout, interp_next);
  PT_FIELD(f, pt_python_layout, interp_threads_head);
  PT_FIELD(f, pt_python_layout, thread_next);
  PT_FIELD(f, pt_python_layout, thread_id);
  PT_FIELD(f, pt_python_layout, thread_native_id);
  PT_FIELD(f, pt_python_layout, thread_frame);
  PT_FIELD(f, pt_python_layout, cframe_current_frame);
  PT_FIELD(f, pt_python_layout, frame_previous);
  PT_FIELD(f, pt_python_layout, frame_code);
  PT_FIELD(f, pt_python_layout, frame_instruction);
  PT_FIELD(f, pt_python_layout, frame_owner);
  PT_FIELD(f, pt_python_layout, code_units);
  PT_FIELD(f, pt_python_layout, object_type);
  PT_FIELD(f, pt_python_layout, instruction_kind);
  PT_FIELD(f, pt_python_layout, code_tag_bits);
  PT_FIELD(f, pt_python_layout, not_python_owner);
  PT_FIELD(f, pt_python_layout, match_fsbase);
  PT_FIELD(f, pt_python_layout, datastack_chunk);
  PT_FIELD(f, pt_python_layout, datastack_top);
  PT_FIELD(f, pt_python_layout, chunk_previous);
  PT_FIELD(f, pt_python_layout, chunk_top);
  PT_FIELD(f, pt_python_layout, chunk_data);
  PT_FIELD(f, pt_python_layout, code_nlocalsplus);
  PT_FIELD(f, pt_python_layout, code_stacksize);
  PT_FIELD(f, pt_python_layout, frame_specials_words);
  PT_FIELD(f, pt_python_layout, code_filename);
  PT_FIELD(f, pt_python_layout, code_name);
  PT_FIELD(f, pt_python_layout, code_firstlineno);
  PT_FIELD(f, pt_python_layout, unicode_length);
  PT_FIELD(f, pt_python_layout, frame_window_start);
  PT_FIELD(f, pt_python_layout, frame_window_len);
  return Record(env, sizeof(pt_python_layout), f);
}

// Stack sampling's enums and limits (python_layout.h).
Napi::Object Sampling(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sample", SampleRecord(env));
  o.Set("frame", SampleFrameRecord(env));
  o.Set("pythonLayout", PythonLayoutRecord(env));
  Napi::Object v = Napi::Object::New(env);
  PT_VALUE(v, PT_STACK_MAX);
  PT_VALUE(v, PT_OFFSET_NONE);
  PT_VALUE(v, PT_CODE_WINDOW);
  PT_VALUE(v, PT_FRAME_WINDOW);
  PT_VALUE(v, PT_INSTR_LASTI_BYTES);
  PT_VALUE(v, PT_INSTR_LASTI_UNITS);
  PT_VALUE(v, PT_INSTR_POINTER);
  PT_VALUE(v, PT_SAMPLE_CUT);
  PT_VALUE(v, PT_SAMPLE_ON_CPU);
  PT_VALUE(v, PT_SAMPLES_TAKEN);
  PT_VALUE(v, PT_SAMPLES_SENT);
  PT_VALUE(v, PT_SAMPLES_LOST);
  PT_VALUE(v, PT_UNWIND_NO_THREAD);
  PT_VALUE(v, PT_UNWIND_READ_FAULT);
  PT_VALUE(v, PT_UNWIND_NOT_CODE);
  PT_VALUE(v, PT_UNWIND_EMPTY);
  PT_VALUE(v, PT_UNWIND_CUT);
  PT_VALUE(v, PT_UNWIND_STALE_FRAME);
  PT_VALUE(v, PT_SAMPLE_COUNT_MAX);
  o.Set("values", v);
  return o;
}

Napi::Object Registers(Napi::Env env) {
  Napi::Object x86 = Napi::Object::New(env);
#define PT_REG(name, off) x86.Set(#name, Napi::Number::New(env, off));
  PT_X86_64_REGS(PT_REG)
#undef PT_REG
  Napi::Object arm = Napi::Object::New(env);
  for (int i = 0; i <= 30; i++) arm.Set("x" + std::to_string(i), Napi::Number::New(env, PT_AARCH64_X(i)));
  arm.Set("sp", Napi::Number::New(env, PT_AARCH64_SP));
  arm.Set("pc", Napi::Number::New(env, PT_AARCH64_PC));
  Napi::Object o = Napi::Object::New(env);
  o.Set("x86_64", x86);
  o.Set("aarch64", arm);
  return o;
}

}  // namespace

Napi::Object LayoutObject(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("event", EventRecord(env));
  o.Set("auditItem", AuditItemRecord(env));

  Napi::Object types = Napi::Object::New(env);
  PT_VALUE(types, PT_EV_FUNCTION_ENTRY);
  PT_VALUE(types, PT_EV_FUNCTION_RETURN);
  PT_VALUE(types, PT_EV_LINE);
  PT_VALUE(types, PT_EV_GC_START);
  PT_VALUE(types, PT_EV_GC_DONE);
  PT_VALUE(types, PT_EV_IMPORT_START);
  PT_VALUE(types, PT_EV_IMPORT_DONE);
  PT_VALUE(types, PT_EV_AUDIT);
  PT_VALUE(types, PT_EV_GENERATOR_CREATED);
  PT_VALUE(types, PT_EV_FORK);
  PT_VALUE(types, PT_EV_EXEC);
  PT_VALUE(types, PT_EV_EXIT);
  PT_VALUE(types, PT_EV_STACK_SAMPLE);
  o.Set("eventType", types);

  Napi::Object fork = Napi::Object::New(env);
  PT_VALUE(fork, PT_FORK_FOLLOWED);
  PT_VALUE(fork, PT_FORK_HELD);
  o.Set("forkFlags", fork);
  Napi::Object exec = Napi::Object::New(env);
  PT_VALUE(exec, PT_EXEC_NEW_MAIN_THREAD);
  PT_VALUE(exec, PT_EXEC_HELD);
  PT_VALUE(exec, PT_EXEC_OTHER_PROGRAM);
  PT_VALUE(exec, PT_EXEC_NEW_PROCESS);
  o.Set("execFlags", exec);

  Napi::Object args = Napi::Object::New(env);
  PT_VALUE(args, PT_ARG_NONE);
  PT_VALUE(args, PT_ARG_CONST);
  PT_VALUE(args, PT_ARG_REG);
  PT_VALUE(args, PT_ARG_REG_DEREF);
  PT_VALUE(args, PT_ARG_SIB_DEREF);
  PT_VALUE(args, PT_ARG_IP_DEREF);
  o.Set("argKind", args);

  Napi::Object audit = Napi::Object::New(env);
  PT_VALUE(audit, PT_AUDIT_OTHER);
  PT_VALUE(audit, PT_AUDIT_STR);
  PT_VALUE(audit, PT_AUDIT_BYTES_VALUE);
  PT_VALUE(audit, PT_AUDIT_INT);
  PT_VALUE(audit, PT_AUDIT_NONE);
  PT_VALUE(audit, PT_AUDIT_UNREADABLE);
  PT_VALUE(audit, PT_AUDIT_STR_LATIN1);
  PT_VALUE(audit, PT_AUDIT_STR_UCS2);
  PT_VALUE(audit, PT_AUDIT_STR_UCS4);
  PT_VALUE(audit, PT_AUDIT_TUPLE);
  o.Set("auditKind", audit);

  Napi::Object auditFlags = Napi::Object::New(env);
  PT_VALUE(auditFlags, PT_AUDIT_CUT);
  PT_VALUE(auditFlags, PT_AUDIT_NEGATIVE);
  o.Set("auditFlags", auditFlags);

  Napi::Object nameFlags = Napi::Object::New(env);
  PT_VALUE(nameFlags, PT_NAME_TRUNCATED);
  PT_VALUE(nameFlags, PT_NAME_UNREAD);
  o.Set("nameFlags", nameFlags);

  Napi::Object limits = Napi::Object::New(env);
  PT_VALUE(limits, PT_MAX_ARGS);
  PT_VALUE(limits, PT_MAX_SPECS);
  PT_VALUE(limits, PT_NAME_MAX);
  PT_VALUE(limits, PT_WITHIN_MAX);
  PT_VALUE(limits, PT_AUDIT_ITEMS);
  PT_VALUE(limits, PT_AUDIT_NESTED);
  PT_VALUE(limits, PT_AUDIT_BYTES);
  PT_VALUE(limits, PT_AUDIT_INT_DIGITS);
  o.Set("limits", limits);

  o.Set("registers", Registers(env));
  o.Set("sampling", Sampling(env));
  return o;
}

}  // namespace pytrace
