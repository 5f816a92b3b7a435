/*
 * The few C calls VNetTap cannot make from Swift: ioctl is variadic, struct ifreq is a union,
 * and liburing 2.3 has no helper for IORING_OP_READ_MULTISHOT. Each returns 0 or -errno.
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

/* The multishot read that liburing 2.3 lacks: IORING_OP_READ_MULTISHOT (49) on fd, buffers
 * selected from buffer group group (IOSQE_BUFFER_SELECT), user_data on every completion. */
struct io_uring_sqe;
void vnet_tap_prep_read_multishot(struct io_uring_sqe *sqe, int fd, uint16_t group, uint64_t user_data);

/* The ioctl numbers of <linux/if_tun.h> that Swift cannot import (function-like macros). */
unsigned long vnet_tap_tungetfeatures(void);
unsigned long vnet_tap_tunsetvnethdrsz(void);
unsigned long vnet_tap_tungetvnethdrsz(void);
unsigned long vnet_tap_tunsetvnetle(void);
unsigned long vnet_tap_tunsetoffload(void);

#endif
