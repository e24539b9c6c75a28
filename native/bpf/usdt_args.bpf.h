/* Fetching a marker's arguments at the probe, as its operands say. */
#ifndef PYTRACE_USDT_ARGS_BPF_H
#define PYTRACE_USDT_ARGS_BPF_H

#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "usdt_event.h"

/* Direct reads of the context at constant offsets: much cheaper than one
 * bpf_probe_read_kernel() per register (measured), and the verifier allows
 * only constant offsets into the context. */
#if defined(__TARGET_ARCH_x86)
#define PT_REG_CASE(name, off)                                                                               \
	case off:                                                                                            \
		return ctx->name;
#define PT_REG_AT(name, off)                                                                                 \
	_Static_assert(__builtin_offsetof(struct pt_regs, name) == (off), "pt_regs." #name);
PT_X86_64_REGS(PT_REG_AT)
#endif

static __always_inline __u64 read_reg(struct pt_regs *ctx, __u16 off)
{
	switch (off) {
#if defined(__TARGET_ARCH_x86)
		PT_X86_64_REGS(PT_REG_CASE)
#endif
	default: {
		__u64 v = 0;
		bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + (off & 0x1ff));
		return v;
	}
	}
}

/* Sign- or zero-extends the low `size` bytes of v. */
static __always_inline __s64 extend(__u64 v, __u8 size, __u8 is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? (__s64)(__s8)v : (__s64)(__u8)v;
	case 2:
		return is_signed ? (__s64)(__s16)v : (__s64)(__u16)v;
	case 4:
		return is_signed ? (__s64)(__s32)v : (__s64)(__u32)v;
	default:
		return (__s64)v;
	}
}

static __always_inline __s64 fetch_arg(struct pt_regs *ctx, const struct pt_arg_spec *a)
{
	__u64 addr, v = 0;
	__u32 size = a->size;

	switch (a->kind) {
	case PT_ARG_CONST:
		return a->value;
	case PT_ARG_REG:
		return extend(read_reg(ctx, a->reg_off), a->size, a->is_signed);
	case PT_ARG_REG_DEREF:
		addr = read_reg(ctx, a->reg_off) + a->value;
		break;
	case PT_ARG_SIB_DEREF:
		addr = read_reg(ctx, a->reg_off) + read_reg(ctx, a->index_off) * a->scale + a->value;
		break;
	case PT_ARG_IP_DEREF:
		/* at a uprobe the instruction pointer is the location's address */
		addr = PT_REGS_IP(ctx) + a->value;
		break;
	default:
		return 0;
	}
	if (size > 8)
		size = 8;
	bpf_probe_read_user(&v, size, (void *)addr);
	return extend(v, a->size, a->is_signed);
}

/* Every argument of the location into the record (strings by address). */
static __always_inline void fetch_args(struct pt_regs *ctx, const struct pt_spec *spec, struct pt_event *ev)
{
#pragma unroll
	for (int i = 0; i < PT_MAX_ARGS; i++)
		ev->arg[i] = i < spec->nargs ? fetch_arg(ctx, &spec->args[i]) : 0;
}

#endif
