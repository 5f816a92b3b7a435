// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * vnet-rss steering program: a socket-filter program attached to a multi-queue tap with
 * TUNSETSTEERINGEBPF. The tap runs it when a frame enters the device and queues the frame on
 * tap queue `(u16)return % attached_queues` (drivers/net/tun.c, tun_ebpf_select_queue).
 *
 * It applies the rules of VNetRSS's Classifier, documented in docs/design.md: Ethernet with up
 * to two VLAN tags (one of them may be offloaded into the socket buffer, __sk_buff.vlan_present),
 * IPv4 with options and fragments, IPv6 with a bounded extension-header walk, the Home Address
 * option and the type-2 Routing header for the _EX types, the nine hash types of the virtio
 * spec (1.2, 5.1.6.4.3) under the spec's or QEMU's _EX rule, Toeplitz from per-position byte
 * tables, and the indirection table. Frames no enabled type matches go to the unclassified queue.
 *
 * Every read of the frame goes through bpf_skb_load_bytes, which fails (and is checked) when the
 * bytes lie outside the frame, or, in the general parse, through a per-CPU copy of the frame's
 * first 256 bytes taken with one such load, after an explicit check that the bytes lie inside
 * the frame: the program never reads past the frame, and a frame that ends early is handled
 * exactly as the Classifier handles it.
 *
 * The configuration lives in two slots (ARRAY maps of one vnet_steering_slot each) and a switch
 * (vnet_rss_active, an ARRAY_OF_MAPS of one entry naming the slot in force). The program looks
 * the switch up once per frame and reads only that slot. The library rewrites only the slot the
 * switch does not name, then points the switch at it; the kernel waits for every program that
 * may still hold the old slot to finish before that update returns (synchronize_rcu in
 * kernel/bpf/syscall.c for map-in-map updates), so the next rewrite of the old slot cannot race
 * a program reading it. A frame is steered wholly by one configuration.
 *
 * Built with `-DVNET_STEERING_BIT_SERIAL`, Toeplitz runs one input bit at a time from the key,
 * as QEMU's tools/ebpf/rss.bpf.c does: the baseline the byte tables are measured against.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "vnet_steering_layout.h"

#define ETH_HEADER 14
#define ETH_TYPE_OFFSET 12
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define MAX_VLAN_TAGS 2

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MOBILITY_ 135
#define IPV6_HEADER 40
#define MAX_EXTENSION_HEADERS 8

/* Field offsets inside the network header (RFC 791, RFC 8200). */
#define IPV4_FRAGMENT 6   /* flags and fragment offset, 2 bytes */
#define IPV4_PROTOCOL 9
#define IPV4_SOURCE 12    /* then the destination, 4 bytes each */
#define IPV6_NEXT_HEADER 6
#define IPV6_SOURCE 8     /* then the destination, 16 bytes each */
#define HOME_ADDRESS_OPTION 0xC9
#define ROUTING_TYPE_2 2

/* virtio spec 1.2, 5.1.6.4.3.1: VIRTIO_NET_RSS_HASH_TYPE_* */
#define TYPE_IPV4 (1u << 0)
#define TYPE_TCPV4 (1u << 1)
#define TYPE_UDPV4 (1u << 2)
#define TYPE_IPV6 (1u << 3)
#define TYPE_TCPV6 (1u << 4)
#define TYPE_UDPV6 (1u << 5)
#define TYPE_IP_EX (1u << 6)
#define TYPE_TCP_EX (1u << 7)
#define TYPE_UDP_EX (1u << 8)

#ifndef VNET_STEERING_QEMU_LAYOUT
struct vnet_rss_slot_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vnet_steering_slot);
};

struct vnet_rss_slot_map vnet_rss_slot_a SEC(".maps");
struct vnet_rss_slot_map vnet_rss_slot_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct vnet_rss_slot_map);
} vnet_rss_active SEC(".maps") = {
    .values = { [0] = &vnet_rss_slot_a },
};

/* What the parse and the hash read of the configuration: the slot itself. */
typedef struct vnet_steering_slot slot_t;
#else
/*
 * The QEMU-layout build: the same program over the maps QEMU's virtio-net writes in place
 * (QEMU's tools/ebpf/rss.bpf.c and ebpf/ebpf_rss.c; ebpf-rss-fds takes the program, then these
 * three, in this order). QEMU mmaps them and writes a guest's configuration straight into them,
 * so a frame may meet a configuration half written; vnet-rss's own build never lets that happen
 * (two slots and a switch), this one cannot help it.
 *
 * QEMU hands the program the raw key, not byte tables: each CPU keeps the tables of the key it
 * last saw (two per-CPU arrays, since a per-CPU value is at most 32 KiB) and builds them again,
 * once, when QEMU's key changes.
 */
struct qemu_rss_config {
    __u8 redirect;
    __u8 populate_hash;
    __u32 hash_types;
    __u16 indirections_len;
    __u16 default_queue;
} __attribute__((packed));

struct qemu_toeplitz_key {
    __u32 leftmost_32_bits; /* the key's first four bytes as a host-order word */
    __u8 next_byte[VNET_STEERING_MAX_INPUT];
};

#define QEMU_TABLE_ENTRIES 128
#define QEMU_HALF 18 /* input positions per per-CPU table array */

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct qemu_rss_config);
    __uint(map_flags, BPF_F_MMAPABLE);
} vnet_rss_qemu_configuration SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct qemu_toeplitz_key);
    __uint(map_flags, BPF_F_MMAPABLE);
} vnet_rss_qemu_key SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, QEMU_TABLE_ENTRIES);
    __type(key, __u32);
    __type(value, __u16);
    __uint(map_flags, BPF_F_MMAPABLE);
} vnet_rss_qemu_table SEC(".maps");

/* One CPU's byte tables for input positions 0 to 17, with the key they were built from. */
struct qemu_tables_low {
    __u32 toeplitz[QEMU_HALF][256];
    struct qemu_toeplitz_key key;
    __u32 built;
};

/* Positions 18 to 35. */
struct qemu_tables_high {
    __u32 toeplitz[QEMU_HALF][256];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct qemu_tables_low);
} vnet_rss_qemu_low SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct qemu_tables_high);
} vnet_rss_qemu_high SEC(".maps");

/* What the parse and the hash read: the types and rule of this frame, and the CPU's tables. */
typedef struct {
    __u32 hash_types;
    __u32 flags;
    struct qemu_tables_low *low;
    struct qemu_tables_high *high;
} slot_t;
#endif

/* The general parse's copy of the frame's head: one bounded load, then every header that lies
 * inside it is read from the copy, and only what lies past it from the frame (a helper call
 * each, the cost a tagged or extension-header frame used to pay per header). PREFIX covers
 * Ethernet, two VLAN tags, IPv6 and 194 bytes of extension headers; the SLACK past it lets a
 * read at any offset under PREFIX copy its constant length without another bound. */
#define PREFIX 256
#define SLACK 64

struct prefix {
    __u8 bytes[PREFIX + SLACK];
    /* Where a read's offset passes through memory on its way to an index: the verifier then
     * knows only the bound the mask gives it, and does not track the offset back into the
     * extension-header walk's cursor (which would keep it from merging the walk's states). */
    __u32 offset;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct prefix);
} vnet_rss_prefix SEC(".maps");

/* What the parse found; offsets are from the start of the socket buffer's data (the
 * destination MAC address). Zero offsets mean "absent" (no field lies at offset 0). */
struct flow {
    __u32 network;     /* 0, 4 or 6 */
    __u32 transport;   /* 0, IPPROTO_TCP_ or IPPROTO_UDP_ */
    __u32 source;      /* address offsets */
    __u32 destination;
    __u32 ports;
    __u32 home;        /* Home Address option's address, 0 if none */
    __u32 routing;     /* type-2 Routing header's address, 0 if none */
    __u32 extension_headers; /* 1 when at least one walked extension header stands before L4 */
    /* The Destination Options headers walked, for the Home Address search: start and end of
     * each one's options. */
    __u32 options_count;
    __u32 options_start[MAX_EXTENSION_HEADERS];
    __u32 options_end[MAX_EXTENSION_HEADERS];
};

/* The state of the extension-header walk, carried through bpf_loop. */
struct walk {
    struct __sk_buff *skb;
    struct flow *flow;
    struct prefix *copy;
    __u32 next_header;
    __u32 cursor;
    __u32 walked;
    __u32 outcome; /* WALK_* */
};

enum { WALK_GOING = 0, WALK_DONE = 1, WALK_UNCLASSIFIED = 2 };

static __always_inline int load(struct __sk_buff *skb, __u32 offset, void *to, __u32 length)
{
    return bpf_skb_load_bytes(skb, offset, to, length);
}

/* This CPU's prefix copy (a per-CPU array: the program runs with migration off). */
static __always_inline struct prefix *prefix_copy(void)
{
    const __u32 zero = 0;
    return bpf_map_lookup_elem(&vnet_rss_prefix, &zero);
}

/* `length` (a constant) bytes at `offset`, which the caller has checked lie inside the frame:
 * from the copy where they lie inside it (the copy holds the frame's first min(length, PREFIX)
 * bytes), else from the frame. < 0 when the frame's load fails. */
static __always_inline int read(struct __sk_buff *skb, struct prefix *copy, __u32 offset, void *to, __u32 length)
{
    if ((__u64)offset + length <= PREFIX) {
        *(volatile __u32 *)&copy->offset = offset;
        __u32 index = *(volatile __u32 *)&copy->offset & (PREFIX - 1);
        __builtin_memcpy(to, copy->bytes + index, length);
        return 0;
    }
    return load(skb, offset, to, length);
}

/* Records TCP or UDP when the protocol is one of them and both ports lie inside the frame. */
static __always_inline void set_transport(struct __sk_buff *skb, struct flow *flow, __u32 protocol, __u32 offset)
{
    if (protocol != IPPROTO_TCP_ && protocol != IPPROTO_UDP_)
        return;
    if ((__u64)offset + 4 > skb->len)
        return;
    flow->transport = protocol;
    flow->ports = offset;
}

/* One step of the IPv6 extension-header walk (the Classifier's IPv6Parser). */
static long walk_step(__u64 index, void *context)
{
    struct walk *walk = context;
    struct flow *flow = walk->flow;
    struct __sk_buff *skb = walk->skb;
    __u32 next = walk->next_header;
    __u32 cursor = walk->cursor;
    struct prefix *copy = walk->copy;
    __u8 head[4];
    __u32 length;

    if (next == IPPROTO_TCP_ || next == IPPROTO_UDP_) {
        set_transport(skb, flow, next, cursor);
        walk->outcome = WALK_DONE;
        return 1;
    }
    if (walk->walked >= MAX_EXTENSION_HEADERS) {
        walk->outcome = WALK_DONE;
        return 1;
    }
    if (!copy) {
        walk->outcome = WALK_UNCLASSIFIED;
        return 1;
    }
    switch (next) {
    case IPPROTO_HOPOPTS_:
    case IPPROTO_ROUTING_:
    case IPPROTO_DSTOPTS_:
    case IPPROTO_MOBILITY_:
    case IPPROTO_AH_:
        /* Every one of these headers is at least 8 bytes long, so one whose first four bytes
         * are not in the frame does not fit either: one read of four, not two and four. */
        if ((__u64)cursor + 4 > skb->len || read(skb, copy, cursor, head, 4) < 0) {
            walk->outcome = WALK_UNCLASSIFIED;
            return 1;
        }
        length = next == IPPROTO_AH_ ? ((__u32)head[1] + 2) * 4 : ((__u32)head[1] + 1) * 8;
        break;
    case IPPROTO_FRAGMENT_:
        length = 8;
        break;
    default:
        /* ESP, No Next Header or an unknown header: no transport. */
        walk->outcome = WALK_DONE;
        return 1;
    }
    if ((__u64)cursor + length > skb->len) {
        walk->outcome = WALK_UNCLASSIFIED;
        return 1;
    }
    flow->extension_headers = 1;
    walk->walked += 1;
    if (next == IPPROTO_FRAGMENT_) {
        /* A fragment hashes on its addresses only. */
        walk->outcome = WALK_DONE;
        return 1;
    }
    if (next == IPPROTO_DSTOPTS_) {
        __u32 slot = flow->options_count;
        if (slot < MAX_EXTENSION_HEADERS) {
            flow->options_start[slot] = cursor + 2;
            flow->options_end[slot] = cursor + length;
            flow->options_count = slot + 1;
        }
    } else if (next == IPPROTO_ROUTING_ && flow->routing == 0) {
        if (head[1] == 2 && head[2] == ROUTING_TYPE_2 && head[3] == 1)
            flow->routing = cursor + 8;
    }
    walk->next_header = head[0];
    walk->cursor = cursor + length;
    return 0;
}

/* The state of the Home Address search over the Destination Options headers walked. */
struct search {
    struct __sk_buff *skb;
    struct flow *flow;
    struct prefix *copy;
    __u32 header;   /* which Destination Options header */
    __u32 cursor;   /* the next option's offset in it */
    __u32 found;    /* the address's offset, or 0 */
};

/* One step of the search: one option, or the move to the next header. The options lie inside
 * the frame (the walk checked each header's length). */
static long search_step(__u64 index, void *context)
{
    struct search *search = context;
    struct flow *flow = search->flow;
    __u32 header = search->header;
    struct prefix *copy = search->copy;
    __u8 option[2];
    __u32 end, cursor;

    if (header >= flow->options_count || header >= MAX_EXTENSION_HEADERS || !copy)
        return 1;
    end = flow->options_end[header];
    cursor = search->cursor;
    if (cursor >= end)
        goto next_header;
    /* One read: the option's type and length where both lie in the header, else its type. */
    if (cursor + 2 <= end) {
        if (read(search->skb, copy, cursor, option, 2) < 0)
            goto next_header;
    } else if (read(search->skb, copy, cursor, option, 1) < 0) {
        goto next_header;
    }
    if (option[0] == 0) { /* Pad1 */
        search->cursor = cursor + 1;
        return 0;
    }
    if (cursor + 2 > end)
        goto next_header;
    if (option[0] == HOME_ADDRESS_OPTION && option[1] == 16 && cursor + 2 + 16 <= end) {
        search->found = cursor + 2;
        return 1;
    }
    search->cursor = cursor + 2 + option[1];
    return 0;

next_header:
    header += 1;
    search->header = header;
    if (header < flow->options_count && header < MAX_EXTENSION_HEADERS)
        search->cursor = flow->options_start[header];
    return 0;
}

/* Parses the frame into `flow`, reading from `copy` where it can; 0 when it is unclassified. */
static __always_inline int parse(struct __sk_buff *skb, struct prefix *copy, struct flow *flow)
{
    __u32 type_offset = ETH_TYPE_OFFSET;
    __u32 tags = 0;
    __u16 ether_type;
    __u32 network;

    if (skb->len < ETH_HEADER)
        return 0;
    if (read(skb, copy, ETH_TYPE_OFFSET, &ether_type, 2) < 0)
        return 0;
    ether_type = bpf_ntohs(ether_type);
    /* A tag the host stack offloaded is not in the data: the data's EtherType is the one after
     * it, exactly where the frame a reader gets (the tap writes the tag back inline) has it,
     * and every later offset differs from the reader's by the same four bytes as the length. */
    if (skb->vlan_present)
        tags = 1;
#pragma unroll
    for (int step = 0; step <= MAX_VLAN_TAGS; step++) {
        if (ether_type != ETH_P_8021Q && ether_type != ETH_P_8021AD)
            break;
        if (tags >= MAX_VLAN_TAGS)
            return 0;
        if ((__u64)type_offset + 6 > skb->len || read(skb, copy, type_offset + 4, &ether_type, 2) < 0)
            return 0;
        ether_type = bpf_ntohs(ether_type);
        type_offset += 4;
        tags += 1;
    }
    if (ether_type == ETH_P_8021Q || ether_type == ETH_P_8021AD)
        return 0;
    network = type_offset + 2;

    if (ether_type == ETH_P_IPV4) {
        __u8 header[20];
        __u32 header_length;

        if ((__u64)network + sizeof(header) > skb->len || read(skb, copy, network, header, sizeof(header)) < 0)
            return 0;
        header_length = (header[0] & 0x0F) * 4;
        if ((header[0] >> 4) != 4 || header_length < 20 || (__u64)network + header_length > skb->len)
            return 0;
        flow->network = 4;
        flow->source = network + IPV4_SOURCE;
        flow->destination = network + IPV4_SOURCE + 4;
        if (((((__u32)header[IPV4_FRAGMENT] << 8) | header[IPV4_FRAGMENT + 1]) & 0x3FFF) == 0)
            set_transport(skb, flow, header[IPV4_PROTOCOL], network + header_length);
        return 1;
    }
    if (ether_type == ETH_P_IPV6) {
        __u8 header[8];
        struct walk walk = {};

        if ((__u64)network + IPV6_HEADER > skb->len || read(skb, copy, network, header, sizeof(header)) < 0)
            return 0;
        if ((header[0] >> 4) != 6)
            return 0;
        flow->network = 6;
        flow->source = network + IPV6_SOURCE;
        flow->destination = network + IPV6_SOURCE + 16;
        walk.skb = skb;
        walk.flow = flow;
        walk.copy = copy;
        walk.next_header = header[IPV6_NEXT_HEADER];
        walk.cursor = network + IPV6_HEADER;
        /* At most 8 headers walked, then one more step to see what follows. */
        bpf_loop(MAX_EXTENSION_HEADERS + 1, walk_step, &walk, 0);
        return walk.outcome != WALK_UNCLASSIFIED;
    }
    return 0;
}

/* The hash input a flow earns under the enabled types: the report's input shape. */
struct input {
    __u32 matched;  /* 0: no enabled type matches */
    __u32 extended; /* the _EX types: Home Address and type-2 routing addresses where present */
    __u32 ports;
};

static __always_inline struct input select_input(const struct flow *flow, __u32 types, __u32 qemu_rule)
{
    struct input none = { 0, 0, 0 };
    int tcp = flow->transport == IPPROTO_TCP_;
    int udp = flow->transport == IPPROTO_UDP_;

    if (flow->network == 4) {
        if (tcp && (types & TYPE_TCPV4))
            return (struct input){ 1, 0, 1 };
        if (udp && (types & TYPE_UDPV4))
            return (struct input){ 1, 0, 1 };
        if (types & TYPE_IPV4)
            return (struct input){ 1, 0, 0 };
        return none;
    }
    if (flow->network != 6)
        return none;
    if (qemu_rule) {
        if (tcp) {
            if (types & TYPE_TCP_EX)
                return (struct input){ 1, 1, 1 };
            if (types & TYPE_TCPV6)
                return (struct input){ 1, 0, 1 };
        }
        if (udp) {
            if (types & TYPE_UDP_EX)
                return (struct input){ 1, 1, 1 };
            if (types & TYPE_UDPV6)
                return (struct input){ 1, 0, 1 };
        }
        if (types & TYPE_IP_EX)
            return (struct input){ 1, 1, 0 };
        if (types & TYPE_IPV6)
            return (struct input){ 1, 0, 0 };
        return none;
    }
    if (flow->extension_headers) {
        if (tcp && (types & TYPE_TCP_EX))
            return (struct input){ 1, 1, 1 };
        if (udp && (types & TYPE_UDP_EX))
            return (struct input){ 1, 1, 1 };
        if (types & TYPE_IP_EX)
            return (struct input){ 1, 1, 0 };
    }
    if (tcp && (types & TYPE_TCPV6))
        return (struct input){ 1, 0, 1 };
    if (udp && (types & TYPE_UDPV6))
        return (struct input){ 1, 0, 1 };
    if (types & TYPE_IPV6)
        return (struct input){ 1, 0, 0 };
    return none;
}

#ifdef VNET_STEERING_BIT_SERIAL
/* Toeplitz one input bit at a time over the whole 36-byte input buffer, bytes past `length`
 * zero, as QEMU's tools/ebpf/rss.bpf.c computes it (288 steps whatever the frame); zero bytes
 * add nothing, so the hash is the same. */
static __always_inline __u32 toeplitz(const slot_t *slot, __u8 *input, __u32 length)
{
    __u32 hash = 0;
    __u32 window = ((__u32)slot->key[0] << 24) | ((__u32)slot->key[1] << 16) | ((__u32)slot->key[2] << 8) | slot->key[3];

    for (int position = 0; position < VNET_STEERING_MAX_INPUT; position++) {
        __u8 byte = position < length ? input[position] : 0;
        __u8 next = slot->key[position + 4];
#pragma unroll
        for (int bit = 7; bit >= 0; bit--) {
            if (byte & (1u << bit))
                hash ^= window;
            window = (window << 1) | ((next >> bit) & 1);
        }
    }
    return hash;
}
#else
#ifdef VNET_STEERING_QEMU_LAYOUT
/* The contribution of byte `value` at input `position`: this CPU's byte tables of QEMU's key,
 * the half chosen at compile time (the caller's loop is unrolled). */
static __always_inline __u32 contribution(const slot_t *slot, int position, __u8 value)
{
    return position < QEMU_HALF ? slot->low->toeplitz[position][value]
                                : slot->high->toeplitz[position - QEMU_HALF][value];
}
#else
/* The contribution of byte `value` at input `position`: the slot's byte tables. */
static __always_inline __u32 contribution(const slot_t *slot, int position, __u8 value)
{
    return slot->toeplitz[position][value];
}
#endif

/* Toeplitz from the per-position byte tables: one lookup per input byte. */
static __always_inline __u32 toeplitz(const slot_t *slot, __u8 *input, __u32 length)
{
    __u32 hash = 0;

#pragma unroll
    for (int position = 0; position < VNET_STEERING_MAX_INPUT; position++) {
        if (position >= length)
            break;
        hash ^= contribution(slot, position, input[position]);
    }
    return hash;
}
#endif

/* The first bytes of the common frame shapes: Ethernet, then IPv4 without options (20 bytes) or
 * IPv6 (40 bytes), then the two ports; and the same behind two VLAN tags. */
#define COMMON_HEAD (ETH_HEADER + IPV6_HEADER + 4)
#define TAGGED_HEAD (COMMON_HEAD + 8)
#define SHORT_HEAD (ETH_HEADER + 20 + 4)

static __always_inline int is_vlan_tag(const __u8 *type)
{
    return (type[0] == 0x81 && type[1] == 0x00) || (type[0] == 0x88 && type[1] == 0xA8);
}

/* The common shapes from `head`, which holds `held` bytes of an untagged frame of `length`
 * bytes (or of a tagged frame from past its tags, as if untagged): see common_shape. */
static __always_inline int common_fields(const slot_t *slot, const __u8 *head, __u32 held, __u32 length, __u32 *hash)
{
    const __u8 *network = head + ETH_HEADER;
    __u32 ether_type = ((__u32)head[ETH_TYPE_OFFSET] << 8) | head[ETH_TYPE_OFFSET + 1];
    __u32 types = slot->hash_types & 0x1FF;
    struct flow flow = {};
    struct input chosen;

    if (ether_type == ETH_P_IPV4 && held >= SHORT_HEAD) {
        /* Version 4, a 20-byte header (no options), not a fragment. */
        if (network[0] != 0x45 || ((((__u32)network[IPV4_FRAGMENT] << 8) | network[IPV4_FRAGMENT + 1]) & 0x3FFF) != 0)
            return -1;
        if (network[IPV4_PROTOCOL] != IPPROTO_TCP_ && network[IPV4_PROTOCOL] != IPPROTO_UDP_)
            return -1;
        flow.network = 4;
        flow.transport = network[IPV4_PROTOCOL];
        chosen = select_input(&flow, types, 0);
        if (!chosen.matched)
            return 0;
        /* Addresses, then the ports, which follow the 20-byte header. */
        *hash = toeplitz(slot, (__u8 *)network + IPV4_SOURCE, chosen.ports ? 12 : 8);
        return 1;
    }
    if (ether_type == ETH_P_IPV6 && length >= COMMON_HEAD && held >= COMMON_HEAD) {
        __u32 next = network[IPV6_NEXT_HEADER];
        if ((network[0] >> 4) != 6 || (next != IPPROTO_TCP_ && next != IPPROTO_UDP_))
            return -1;
        flow.network = 6;
        flow.transport = next;
        /* No extension headers: the _EX types, where they apply, hash the same fields. */
        chosen = select_input(&flow, types, slot->flags & VNET_STEERING_FLAG_QEMU_EX_RULE);
        if (!chosen.matched)
            return 0;
        *hash = toeplitz(slot, (__u8 *)network + IPV6_SOURCE, chosen.ports ? 36 : 32);
        return 1;
    }
    return -1;
}

/* Moves the head's first COMMON_HEAD bytes past `shift` (4 or 8, a constant at each call) down
 * to its start: the frame as if untagged (the MAC addresses, which no hash reads, are lost).
 * Ascending 4-byte moves, so the overlap is safe; the last two bytes alone. */
static __always_inline void drop_tags(__u8 *head, __u32 shift)
{
#pragma unroll
    for (int at = 0; at + 4 <= COMMON_HEAD; at += 4)
        __builtin_memcpy(head + at, head + at + shift, 4);
    __builtin_memcpy(head + COMMON_HEAD - 2, head + COMMON_HEAD - 2 + shift, 2);
}

/* The common shapes, from the frame's head: an IPv4 frame without options that is not a
 * fragment, or an IPv6 frame without extension headers, each with TCP or UDP, behind no, one or
 * two VLAN tags in the data. Hashes the fields in place in the head and returns 1, or 0 when no
 * enabled type matches, or -1 when the frame has another shape (the general parse decides it).
 *
 * One load takes the frame's first TAGGED_HEAD bytes (COMMON_HEAD or SHORT_HEAD of a shorter
 * frame), tags included; a tagged frame's head is then moved down past its tags (drop_tags), so
 * that every field sits at the same constant offset as in an untagged frame and one copy of the
 * field code and its Toeplitz serves all. A tagged frame whose fields lie past what the load
 * took (a short frame) is the general parse's. The Classifier
 * takes the same shortcut for untagged frames (CommonShapes) and holds it to the general parse;
 * the two agree on tagged ones because the hash input never includes a tag. */
static __always_inline int common_shape(struct __sk_buff *skb, const slot_t *slot, __u32 *hash)
{
    __u8 head[TAGGED_HEAD] __attribute__((aligned(8)));
    __u32 length = skb->len;
    __u32 held;

    if (skb->vlan_present || length < SHORT_HEAD)
        return -1;
    held = length >= TAGGED_HEAD ? TAGGED_HEAD : length >= COMMON_HEAD ? COMMON_HEAD : SHORT_HEAD;
    if (held == TAGGED_HEAD) {
        if (load(skb, 0, head, TAGGED_HEAD) < 0)
            return -1;
    } else if (held == COMMON_HEAD) {
        if (load(skb, 0, head, COMMON_HEAD) < 0)
            return -1;
    } else if (load(skb, 0, head, SHORT_HEAD) < 0) {
        return -1;
    }
    if (is_vlan_tag(head + ETH_TYPE_OFFSET)) {
        /* A short tagged frame is the general parse's: past one tag its 38 bytes cannot hold
         * a common shape. A 58-byte head has its last 8 bytes zeroed, so that the move reads
         * only written stack (the verifier refuses an uninitialised read before Linux 6.3, and
         * without CAP_PERFMON); the fields read after it stay inside what was loaded. */
        if (held == SHORT_HEAD)
            return -1;
        if (held == COMMON_HEAD)
            __builtin_memset(head + COMMON_HEAD, 0, TAGGED_HEAD - COMMON_HEAD);
        /* Tags at 12 and, for QinQ, 16; a third is the general parse's (unclassified). */
        if (!is_vlan_tag(head + ETH_TYPE_OFFSET + 4)) {
            drop_tags(head, 4);
            held -= 4;
            length -= 4;
        } else {
            if (is_vlan_tag(head + ETH_TYPE_OFFSET + 8))
                return -1;
            drop_tags(head, 8);
            held -= 8;
            length -= 8;
        }
    }
    return common_fields(slot, head, held, length, hash);
}

/* The general parse: VLAN tags, IPv4 options and fragments, IPv6 extension headers, short
 * frames. Fills `input` and returns its length, or 0 when the frame is unclassified. */
static __always_inline int general_shape(struct __sk_buff *skb, const slot_t *slot, __u8 *input)
{
    struct flow flow = {};
    struct input chosen;
    __u32 width, source, destination;
    struct prefix *copy = prefix_copy();
    __u32 have = skb->len < PREFIX ? skb->len : PREFIX;

    /* One load of the head (parse has checked the frame holds an Ethernet header). */
    if (!copy || have < ETH_HEADER || load(skb, 0, copy->bytes, have) < 0)
        return 0;
    if (!parse(skb, copy, &flow))
        return 0;
    chosen = select_input(&flow, slot->hash_types & 0x1FF, slot->flags & VNET_STEERING_FLAG_QEMU_EX_RULE);
    if (!chosen.matched)
        return 0;
    width = flow.network == 4 ? 4 : 16;
    source = flow.source;
    destination = flow.destination;
    if (chosen.extended) {
        if (flow.options_count > 0) {
            struct search search = {
                .skb = skb, .flow = &flow, .copy = copy, .header = 0, .cursor = flow.options_start[0]
            };
            /* Each step takes at least one option byte or moves to the next header. */
            bpf_loop(skb->len + MAX_EXTENSION_HEADERS, search_step, &search, 0);
            if (search.found)
                source = search.found;
        }
        if (flow.routing)
            destination = flow.routing;
    }
    if (width == 4) {
        if (read(skb, copy, source, input, 4) < 0 || read(skb, copy, destination, input + 4, 4) < 0)
            return 0;
        if (!chosen.ports)
            return 8;
        return read(skb, copy, flow.ports, input + 8, 4) < 0 ? 0 : 12;
    }
    if (read(skb, copy, source, input, 16) < 0 || read(skb, copy, destination, input + 16, 16) < 0)
        return 0;
    if (!chosen.ports)
        return 32;
    return read(skb, copy, flow.ports, input + 32, 4) < 0 ? 0 : 36;
}

#ifndef VNET_STEERING_QEMU_LAYOUT
SEC("socket")
int vnet_rss_steering(struct __sk_buff *skb)
{
    const __u32 zero = 0;
    __u8 input[VNET_STEERING_MAX_INPUT];
    const slot_t *slot;
    void *slots;
    int length;

    slots = bpf_map_lookup_elem(&vnet_rss_active, &zero);
    if (!slots)
        return 0;
    slot = bpf_map_lookup_elem(slots, &zero);
    if (!slot)
        return 0;
    __u32 hash = 0;
    int shape = common_shape(skb, slot, &hash);
    if (shape < 0) {
        length = general_shape(skb, slot, input);
        if (length > 0)
            hash = toeplitz(slot, input, length);
        shape = length > 0;
    }
    if (shape == 0)
        return slot->unclassified_queue;
    return slot->table[hash & slot->table_mask & (VNET_STEERING_MAX_TABLE - 1)];
}
#else
/* The state of a table build, carried through bpf_loop. */
struct build {
    struct qemu_tables_low *low;
    struct qemu_tables_high *high;
    __u8 key[VNET_STEERING_KEY_BYTES]; /* the raw key, in wire order */
};

/* One table entry: the hash contribution of byte value `index & 255` at input position
 * `index >> 8`, the XOR of the key's 32-bit windows at the byte's set bits. */
static long build_step(__u64 index, void *context)
{
    struct build *build = context;
    __u32 position = (index >> 8) & 63;
    __u32 value = index & 255;
    __u64 window = 0;
    __u32 sum = 0;

    if (position >= VNET_STEERING_MAX_INPUT)
        return 1;
    /* Key bytes position .. position + 4: the windows of the byte's eight bits. */
#pragma unroll
    for (int byte = 0; byte < 5; byte++)
        window = (window << 8) | build->key[position + byte];
#pragma unroll
    for (int bit = 0; bit < 8; bit++) {
        if (value & (0x80u >> bit))
            sum ^= (__u32)(window >> (8 - bit));
    }
    if (position < QEMU_HALF)
        build->low->toeplitz[position][value] = sum;
    else
        build->high->toeplitz[(position - QEMU_HALF) % QEMU_HALF][value] = sum;
    return 0;
}

/* Whether this CPU's tables were built from `key` (QEMU's, as it holds it). */
static __always_inline int tables_match(const struct qemu_tables_low *low, const struct qemu_toeplitz_key *key)
{
    const __u64 *have = (const __u64 *)&low->key;
    const __u64 *want = (const __u64 *)key;

    if (!low->built)
        return 0;
#pragma unroll
    for (int word = 0; word < 5; word++) {
        if (have[word] != want[word])
            return 0;
    }
    return 1;
}

SEC("socket")
int vnet_rss_steering_qemu(struct __sk_buff *skb)
{
    const __u32 zero = 0;
    __u8 input[VNET_STEERING_MAX_INPUT];
    const struct qemu_rss_config *config = bpf_map_lookup_elem(&vnet_rss_qemu_configuration, &zero);
    const struct qemu_toeplitz_key *key = bpf_map_lookup_elem(&vnet_rss_qemu_key, &zero);
    struct qemu_tables_low *low = bpf_map_lookup_elem(&vnet_rss_qemu_low, &zero);
    struct qemu_tables_high *high = bpf_map_lookup_elem(&vnet_rss_qemu_high, &zero);
    slot_t slot;
    int length;

    if (!config || !key || !low || !high)
        return 0;
    if (!config->redirect)
        return config->default_queue;
    if (!tables_match(low, key)) {
        struct build build = { .low = low, .high = high };
        __u32 leftmost = bpf_htonl(key->leftmost_32_bits);

        __builtin_memcpy(build.key, &leftmost, 4);
        __builtin_memcpy(build.key + 4, key->next_byte, VNET_STEERING_MAX_INPUT);
        low->built = 0;
        bpf_loop(VNET_STEERING_MAX_INPUT * 256, build_step, &build, 0);
        __builtin_memcpy(&low->key, key, sizeof(low->key));
        low->built = 1;
    }
    slot.hash_types = config->hash_types;
    slot.flags = 0;
    slot.low = low;
    slot.high = high;
    __u32 hash = 0;
    int shape = common_shape(skb, &slot, &hash);
    if (shape < 0) {
        length = general_shape(skb, &slot, input);
        if (length > 0)
            hash = toeplitz(&slot, input, length);
        shape = length > 0;
    }
    __u32 entries = config->indirections_len;
    if (shape == 0 || entries == 0 || entries > QEMU_TABLE_ENTRIES)
        return config->default_queue;
    /* The spec's table[hash & (length - 1)]; QEMU's virtio-net takes only power-of-two lengths,
     * where it equals QEMU's own program's hash % length. */
    __u32 index = hash & (entries - 1) & (QEMU_TABLE_ENTRIES - 1);
    const __u16 *queue = bpf_map_lookup_elem(&vnet_rss_qemu_table, &index);
    return queue ? *queue : config->default_queue;
}
#endif

char LICENSE[] SEC("license") = "Dual MIT/GPL";
