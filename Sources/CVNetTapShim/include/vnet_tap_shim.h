/*
 * The few C calls VNetTap cannot make from Swift: ioctl is variadic, struct ifreq is a union,
 * and io_uring goes through liburing, which Swift does not import. Each returns 0 or -errno.
 * The tools' calls (namespaces, AF_PACKET injection, CPU affinity) are in CVNetToolsShim.
 */
#ifndef VNET_TAP_SHIM_H
#define VNET_TAP_SHIM_H
/* No feature macros: every C header Swift imports here is read with the same ones as the
 * toolchain's Glibc module (none), or their struct definitions (fd_set, ...) would disagree. */
#include <stdint.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* ioctl(fd, request, argument): 0 (or the ioctl's non-negative result) or -errno. */
int vnet_tap_ioctl_pointer(int fd, unsigned long request, void *argument);

/* TUNSETIFF with ifr_name = name and ifr_flags = flags; the kernel's chosen name is copied back
 * into name (at least IFNAMSIZ = 16 bytes). */
int vnet_tap_set_iff(int fd, char *name, uint16_t flags);

/* TUNGETIFF: the device name (16 bytes) and flags of an attached fd. */
int vnet_tap_get_iff(int fd, char *name, uint16_t *flags);

/* TUNSETQUEUE with IFF_ATTACH_QUEUE (attach != 0) or IFF_DETACH_QUEUE. */
int vnet_tap_set_queue(int fd, int attach);

/* The ioctl numbers of <linux/if_tun.h> that Swift cannot import (function-like macros). */
unsigned long vnet_tap_tunsetvnethdrsz(void);
unsigned long vnet_tap_tungetvnethdrsz(void);
unsigned long vnet_tap_tunsetvnetle(void);
unsigned long vnet_tap_tunsetoffload(void);
unsigned long vnet_tap_tunsetsteeringebpf(void);


/*
 * io_uring for the tap readers, behind an opaque handle: liburing's own copy of
 * <linux/io_uring.h> disagrees with the kernel header swift-system imports, so Swift never sees
 * liburing's types. Completions are copied out and consumed in one call.
 */
typedef struct vnet_uring vnet_uring;

typedef struct {
    uint64_t tag;   /* user_data of the request */
    int32_t result; /* bytes read, or -errno */
    uint32_t flags; /* IORING_CQE_F_* ; the buffer id in the top 16 bits */
} vnet_uring_completion;

/* 1 when IORING_OP_READ_MULTISHOT (opcode 49) is supported, else 0. */
int vnet_uring_multishot_supported(void);
/* A ring of `entries` submissions and at least `completion_entries` completions (room for every
 * buffer a multishot read may fill before the reader reaps), owned by the calling thread: only
 * it may submit and wait. NULL with *error set on failure. */
vnet_uring *vnet_uring_create(unsigned entries, unsigned completion_entries, int *error);
void vnet_uring_destroy(vnet_uring *ring);
/* A provided-buffer ring of `count` (a power of two) buffers of `size` bytes at `base`, group 0. */
int vnet_uring_register_buffers(vnet_uring *ring, void *base, unsigned count, unsigned size);
/* Gives buffers `ids[0..n)` back to the kernel. */
void vnet_uring_provide(vnet_uring *ring, const uint32_t *ids, unsigned n);
/* Queues a multishot read of fd from buffer group 0, tagged `tag`. */
int vnet_uring_arm_multishot(vnet_uring *ring, int fd, uint64_t tag);
/* Queues `count` single reads of fd, read i into the buffer at base + ids[i] * stride (`length`
 * bytes) and tagged ids[i] << 8 | tag_low, hard-linked into one chain: each read starts when
 * the one before it ended, whatever its result, so the reads take frames in order and only one
 * waits on the fd at a time. -EBUSY, and nothing queued, when the submission queue lacks room. */
int vnet_uring_arm_read_chain(vnet_uring *ring, int fd, void *base, unsigned stride, unsigned length,
                              const uint32_t *ids, unsigned count, uint64_t tag_low);
/* Queues a poll for input on fd, tagged `tag`. */
int vnet_uring_arm_poll(vnet_uring *ring, int fd, uint64_t tag);
/* Submits what is queued; the count submitted or -errno. */
int vnet_uring_submit(vnet_uring *ring);
/* Waits up to timeout_ms for one completion, then takes up to max; the count or -errno. */
int vnet_uring_wait(vnet_uring *ring, int timeout_ms, vnet_uring_completion *out, unsigned max);
#define VNET_URING_CQE_F_MORE 2u
#define VNET_URING_BUFFER_SHIFT 16u

/* Names the calling thread (PR_SET_NAME: at most 15 bytes kept), as top -H and perf show it.
 * Returns 0 or -errno. */
int vnet_set_thread_name(const char *name);

/* A spin-wait hint (PAUSE on x86-64, YIELD on arm64): lets a sibling hyperthread run and
 * saves power while polling. Inlined into Swift callers. */
static inline void vnet_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
