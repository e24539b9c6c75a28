/* Needs struct scratch (usdt_event.bpf.c). Reads the first items of an audit event's argument tuple: str (compact
 * ASCII), bytes, int (up to 60 bits), None, or else the type's name. The
 * object layouts are CPython's for 3.8-3.15 (non-debug, with the GIL). */
#ifndef PYTRACE_AUDIT_ARGS_BPF_H
#define PYTRACE_AUDIT_ARGS_BPF_H

#define PY_OB_TYPE 8
#define PY_OB_SIZE 16      /* PyVarObject.ob_size, str length, int lv_tag */
#define PY_TUPLE_ITEMS 24
#define PY_STR_STATE 32
#define PY_BYTES_DATA 32
#define PY_LONG_DIGITS 24
#define PY_TYPE_NAME 24    /* PyTypeObject.tp_name */

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (const void *)addr);
	return v;
}

/* An int's value; *ok = false when it does not fit in two 30-bit digits. */
static __always_inline __s64 read_int(__u64 item, const struct pt_audit_layout *l, bool *ok)
{
	__s64 size = read_u64(item + PY_OB_SIZE), ndigits, neg;
	__u32 digits[2] = {};

	if (l->long_tag) {
		ndigits = (__u64)size >> 3;
		neg = (size & 3) == 2;
	} else {
		neg = size < 0;
		ndigits = neg ? -size : size;
	}
	*ok = ndigits <= 2;
	if (!*ok || !ndigits)
		return 0;
	bpf_probe_read_user(digits, ndigits * 4 > 8 ? 8 : ndigits * 4, (const void *)(item + PY_LONG_DIGITS));
	if (ndigits < 2)
		digits[1] = 0;
	__s64 v = (__s64)digits[0] | ((__s64)digits[1] << 30);
	return neg ? -v : v;
}

/* A global function: the verifier checks it once, on its own, rather than
 * in every path of the programs that call it (attach was 0.3 s slower). */
__noinline int append_audit_args(struct pt_regs *ctx, struct scratch *s, __u32 used,
				 const struct pt_audit_layout *l)
{
	if (!ctx || !s || !l || used > PT_MAX_ARGS * PT_STR_MAX)
		return used;
	char *strings = s->strings;
	struct pt_event *ev = &s->ev;
	__u64 ip = PT_REGS_IP(ctx), tuple = ev->arg[1], size = read_u64(tuple + PY_OB_SIZE);

	ev->arg[1] = size;
	ev->arg[2] = 0;
#pragma unroll
	for (int i = 0; i < PT_AUDIT_ITEMS; i++) {
		__u64 item, type, length;
		__u8 kind = PT_AUDIT_UNREADABLE;
		__u32 len = 0, at;
		char *payload;
		bool ok;

		if (i >= size || used > PT_MAX_ARGS * PT_STR_MAX - 2 - PT_AUDIT_BYTES)
			break;
		at = used & SCRATCH_MASK;
		payload = strings + at + 2;
		item = read_u64(tuple + PY_TUPLE_ITEMS + i * 8);
		type = item ? read_u64(item + PY_OB_TYPE) : 0;
		if (item && item == ip + l->none) {
			kind = PT_AUDIT_NONE;
		} else if (type == ip + l->str_type) {
			__u32 state = 0;

			bpf_probe_read_user(&state, sizeof(state), (const void *)(item + PY_STR_STATE));
			length = read_u64(item + PY_OB_SIZE);
			len = length > PT_AUDIT_BYTES ? PT_AUDIT_BYTES : length;
			/* compact (bit 5) and ASCII (bit 6): the characters follow the header */
			if (((state >> 5) & 3) == 3 && !bpf_probe_read_user(payload, len & (2 * PT_AUDIT_BYTES - 1),
									      (const void *)(item + l->ascii_data)))
				kind = PT_AUDIT_STR;
			else
				len = 0;
		} else if (type == ip + l->bytes_type) {
			length = read_u64(item + PY_OB_SIZE);
			len = length > PT_AUDIT_BYTES ? PT_AUDIT_BYTES : length;
			if (!bpf_probe_read_user(payload, len & (2 * PT_AUDIT_BYTES - 1), (const void *)(item + PY_BYTES_DATA)))
				kind = PT_AUDIT_BYTES_VALUE;
			else
				len = 0;
		} else if (type == ip + l->long_type) {
			__s64 v = read_int(item, l, &ok);

			kind = PT_AUDIT_INT;
			len = ok ? 8 : 0;
			if (ok)
				__builtin_memcpy(payload, &v, 8);
		} else if (type) {
			long n = bpf_probe_read_user_str(payload, PT_AUDIT_BYTES, (const void *)read_u64(type + PY_TYPE_NAME));

			kind = PT_AUDIT_OTHER;
			len = n > 0 ? n - 1 : 0;
		}
		payload[-2] = kind;
		payload[-1] = len;
		used += 2 + (len & (2 * PT_AUDIT_BYTES - 1));
		ev->arg[2]++;
	}
	return used;
}

#endif
