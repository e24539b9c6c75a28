/* Reads the first items of an audit event's argument tuple: str (compact:
 * ASCII, Latin-1, UCS-2, UCS-4), bytes, int (up to 240 bits), None, a tuple
 * (one level deep: a socket address), or else the type's name. The object
 * layouts are CPython's for 3.8-3.15 (non-debug, with the GIL). */
#ifndef PYTRACE_AUDIT_ARGS_BPF_H
#define PYTRACE_AUDIT_ARGS_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "usdt_event.h"
#include "maps.bpf.h"

#define PY_OB_TYPE     8
#define PY_OB_SIZE     16 /* PyVarObject.ob_size, str length, int lv_tag */
#define PY_STR_STATE   32
#define PY_BYTES_DATA  32
#define PY_LONG_DIGITS 24
#define PY_TYPE_NAME   24 /* PyTypeObject.tp_name */

/* Room one item may take: its header and the largest payload. */
#define AUDIT_ITEM_MAX (sizeof(struct pt_audit_item) + PT_AUDIT_BYTES)
/* Payload lengths are masked with this for the verifier (a power of 2 above PT_AUDIT_BYTES). */
#define AUDIT_LEN_MASK (2 * PT_AUDIT_BYTES - 1)

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (const void *)addr);
	return v;
}

/* An int: its 30-bit digits as they are in memory, the sign in the flags. */
static __always_inline __u32 read_int(__u64 item, const struct pt_audit_layout *l, char *payload, __u8 *flags)
{
	__s64 size = read_u64(item + PY_OB_SIZE);
	__u64 ndigits;
	bool neg;

	if (l->long_tag) {
		ndigits = (__u64)size >> 3;
		neg = (size & 3) == 2;
	} else {
		neg = size < 0;
		ndigits = neg ? -size : size;
	}
	if (neg)
		*flags |= PT_AUDIT_NEGATIVE;
	if (ndigits > PT_AUDIT_INT_DIGITS) {
		*flags |= PT_AUDIT_CUT;
		return 0;
	}
	if (bpf_probe_read_user(payload, (ndigits * 4) & 63, (const void *)(item + PY_LONG_DIGITS)))
		return 0;
	return ndigits * 4;
}

/* A compact str's characters, by the width its state gives; 0 and kind
 * OTHER when it is not compact (a legacy str: read its type's name). */
static __always_inline __u32 read_str(__u64 item, const struct pt_audit_layout *l, char *payload, __u8 *kind,
				      __u8 *flags)
{
	__u32 state = 0, width, len;
	__u64 length, bytes;

	bpf_probe_read_user(&state, sizeof(state), (const void *)(item + PY_STR_STATE));
	length = read_u64(item + PY_OB_SIZE);
	width = (state >> 2) & 7;
	/* compact (bit 5): the characters follow the header; ASCII (bit 6) */
	if (!((state >> 5) & 1) || (width != 1 && width != 2 && width != 4))
		return 0;
	bytes = length * width;
	len = bytes > PT_AUDIT_BYTES ? PT_AUDIT_BYTES : bytes;
	if (bytes > PT_AUDIT_BYTES)
		*flags |= PT_AUDIT_CUT;
	if (bpf_probe_read_user(payload, len & AUDIT_LEN_MASK,
				(const void *)(item + ((state >> 6) & 1 ? l->ascii_data : l->compact_data))))
		return 0;
	*kind = (state >> 6) & 1 ? PT_AUDIT_STR
		: width == 1	 ? PT_AUDIT_STR_LATIN1
		: width == 2	 ? PT_AUDIT_STR_UCS2
				 : PT_AUDIT_STR_UCS4;
	return len;
}

/* The global functions below take the context and scalars only (pointers to
 * map values as arguments need Linux 5.12): each finds the scratch space and
 * the location's layout (by spec id) itself. */
#define AUDIT_MAPS(s, l, id)                                                                                 \
	__u32 zero_ = 0, id_ = (id);                                                                         \
	struct scratch *s = bpf_map_lookup_elem(&scratch_space, &zero_);                                     \
	const struct pt_audit_layout *l = bpf_map_lookup_elem(&audit_layouts, &id_)

/* Appends one object at `used`: its header and payload. s->tuple_size is set
 * when it is a tuple (its items are for the caller to append). Returns the
 * new `used`. A global function: the verifier checks it once, on its own,
 * rather than in every path of the programs that call it. */
__noinline __u32 append_audit_value(struct pt_regs *ctx, __u32 id, __u32 used, __u64 item)
{
	AUDIT_MAPS(s, l, id);

	if (!ctx || !s || !l)
		return used;
	s->tuple_size = (__u64)-1;
	if (used > PT_INLINE_MAX - AUDIT_ITEM_MAX)
		return used;
	__u32 at = used & SCRATCH_MASK, len = 0;
	struct pt_audit_item *h = (struct pt_audit_item *)&s->strings[at];
	char *payload = s->strings + ((at + sizeof(*h)) & SCRATCH_MASK);
	__u64 ip = PT_REGS_IP(ctx), type = item ? read_u64(item + PY_OB_TYPE) : 0;
	__u8 kind = PT_AUDIT_UNREADABLE, flags = 0;

	if (item && item == ip + l->none) {
		kind = PT_AUDIT_NONE;
	} else if (type == ip + l->str_type) {
		len = read_str(item, l, payload, &kind, &flags);
	} else if (type == ip + l->bytes_type) {
		__u64 length = read_u64(item + PY_OB_SIZE);

		len = length > PT_AUDIT_BYTES ? PT_AUDIT_BYTES : length;
		if (length > PT_AUDIT_BYTES)
			flags |= PT_AUDIT_CUT;
		if (!bpf_probe_read_user(payload, len & AUDIT_LEN_MASK, (const void *)(item + PY_BYTES_DATA)))
			kind = PT_AUDIT_BYTES_VALUE;
		else
			len = 0, flags = 0;
	} else if (type == ip + l->long_type) {
		kind = PT_AUDIT_INT;
		len = read_int(item, l, payload, &flags);
	} else if (type == ip + l->tuple_type) {
		__u32 size = read_u64(item + PY_OB_SIZE);

		kind = PT_AUDIT_TUPLE;
		__builtin_memcpy(payload, &size, 4);
		len = 4;
		s->tuple_size = size;
	}
	if (kind == PT_AUDIT_UNREADABLE && type) {
		/* any other object, or one not read: its type's name */
		long n = bpf_probe_read_user_str(payload, 64, (const void *)read_u64(type + PY_TYPE_NAME));

		kind = PT_AUDIT_OTHER;
		len = n > 0 ? n - 1 : 0;
		flags = 0;
	}
	h->kind = kind;
	h->flags = flags;
	h->len = len;
	h->count = 0;
	return used + sizeof(*h) + (len & AUDIT_LEN_MASK);
}

/* The event's tuple (arg[1]): arg[1] becomes its size, arg[2] how many items
 * follow at the top level. */
__noinline __u32 append_audit_args(struct pt_regs *ctx, __u32 id, __u32 used)
{
	AUDIT_MAPS(s, l, id);

	if (!ctx || !s || !l)
		return used;
	__u64 tuple = s->ev.arg[1], size = read_u64(tuple + PY_OB_SIZE);

	s->ev.arg[1] = size;
	s->ev.arg[2] = 0;
	for (int i = 0; i < PT_AUDIT_ITEMS; i++) {
		__u64 inner_size;
		__u32 header = used;

		if (i >= size || used > PT_INLINE_MAX - AUDIT_ITEM_MAX)
			break;
		used = append_audit_value(ctx, id, used, read_u64(tuple + l->tuple_items + i * 8));
		if (used == header)
			break;
		inner_size = s->tuple_size;
		s->ev.arg[2]++;
		if (inner_size == (__u64)-1)
			continue;
		/* a tuple in the tuple: its first items follow it */
		__u64 inner = read_u64(tuple + l->tuple_items + i * 8);
		__u32 n = 0;

		for (int j = 0; j < PT_AUDIT_NESTED; j++) {
			__u32 before = used;

			if (j >= inner_size || used > PT_INLINE_MAX - AUDIT_ITEM_MAX)
				break;
			used = append_audit_value(ctx, id, used, read_u64(inner + l->tuple_items + j * 8));
			if (used == before)
				break;
			n++;
		}
		/* opaque to the compiler, so that the mask the verifier needs stays */
		asm volatile("" : "+r"(header));
		((struct pt_audit_item *)&s->strings[header & SCRATCH_MASK])->count = n;
	}
	return used;
}

#endif
