/*
 * The uAPI structures vnet-rss mirrors, declared in C so the Swift layout constants are checked
 * against a C compiler's sizeof/offsetof and _IOR/_IOW, never against numbers typed twice.
 *
 * virtio structures come from the system's <linux/virtio_net.h>. The tun hash structures are
 * from the unmerged kernel series "tun: Introduce virtio-net RSS" (v5 to v11 for struct
 * tun_vnet_hash and tun_vnet_hash_rss, v12 for struct tun_vnet_rss): no released kernel header
 * has them, so they are declared here as the series' if_tun.h declares them.
 */
#ifndef VNET_RSS_UAPI_H
#define VNET_RSS_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/virtio_net.h>

struct vnet_uapi_tun_vnet_hash {
    __u16 flags;
    __u8 pad[2];
    __u32 types;
};

struct vnet_uapi_tun_vnet_hash_rss {
    __u16 indirection_table_mask;
    __u16 unclassified_queue;
};

struct vnet_uapi_tun_vnet_rss {
    __u32 hash_types;
    __u16 indirection_table_mask;
    __u16 unclassified_queue;
};

#define VNET_UAPI_TUN_VNET_HASH_REPORT 0x0001
#define VNET_UAPI_TUN_VNET_HASH_RSS 0x0002

/* v5-v11 */
#define VNET_UAPI_TUNGETVNETHASHCAP _IOR('T', 228, struct vnet_uapi_tun_vnet_hash)
#define VNET_UAPI_TUNSETVNETHASH _IOW('T', 229, struct vnet_uapi_tun_vnet_hash)
/* v12 */
#define VNET_UAPI_TUNGETVNETHASHTYPES _IOR('T', 228, __u32)
#define VNET_UAPI_TUNSETVNETREPORTINGAUTOMQ _IOR('T', 229, __u32)
#define VNET_UAPI_TUNSETVNETREPORTINGRSS _IOR('T', 230, struct vnet_uapi_tun_vnet_rss)
#define VNET_UAPI_TUNSETVNETRSS _IOR('T', 231, struct vnet_uapi_tun_vnet_rss)

/* One number per fact, read from Swift (function-like macros are not imported). */
typedef struct {
    const char *name;
    uint64_t value;
} vnet_uapi_fact;

/* The facts, terminated by a { NULL, 0 } entry. */
const vnet_uapi_fact *vnet_uapi_facts(void);

#endif
