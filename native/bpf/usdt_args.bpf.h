/* Fetching a marker's arguments at the probe, as its operands say. */
#ifndef PYTRACE_USDT_ARGS_BPF_H
#define PYTRACE_USDT_ARGS_BPF_H

/* Direct reads of the context at constant offsets: much cheaper than one
 * bpf_probe_read_kernel() per register (measured), and the verifier allows
 * only constant offsets into the context. */
static __always_inline __u64 read_reg(struct pt_regs *ctx, __u16 off)
{
	switch (off) {
#if defined(__TARGET_ARCH_x86)
	case 0: return ctx->r15;
	case 8: return ctx->r14;
	case 16: return ctx->r13;
	case 24: return ctx->r12;
	case 32: return ctx->rbp;
	case 40: return ctx->rbx;
	case 48: return ctx->r11;
	case 56: return ctx->r10;
	case 64: return ctx->r9;
	case 72: return ctx->r8;
	case 80: return ctx->rax;
	case 88: return ctx->rcx;
	case 96: return ctx->rdx;
	case 104: return ctx->rsi;
	case 112: return ctx->rdi;
	case 128: return ctx->rip;
	case 152: return ctx->rsp;
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
	case 1: return is_signed ? (__s64)(__s8)v : (__s64)(__u8)v;
	case 2: return is_signed ? (__s64)(__s16)v : (__s64)(__u16)v;
	case 4: return is_signed ? (__s64)(__s32)v : (__s64)(__u32)v;
	default: return (__s64)v;
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

#endif
