/*
 * Test-only system calls: network namespaces for the calling thread, per-thread capability
 * changes, and AF_PACKET injection. Each returns 0 (or a descriptor) or -errno.
 */
#ifndef VNET_TEST_SHIM_H
#define VNET_TEST_SHIM_H
#include <stdint.h>
#include <stddef.h>

/* unshare(CLONE_NEWNET) for the calling thread, then an fd of its new namespace. */
int vnet_test_unshare_network(void);
/* An fd of the calling thread's current network namespace. */
int vnet_test_current_network(void);
/* setns(fd, CLONE_NEWNET) for the calling thread. */
int vnet_test_enter_network(int fd);

/* Clears (enable = 0) or sets CAP_NET_ADMIN in the calling thread's effective set; the
 * permitted set is kept, so it can be raised again. */
int vnet_test_set_net_admin(int enable);
/* 1 when CAP_NET_ADMIN is in the calling thread's effective set, 0 when not. */
int vnet_test_has_net_admin(void);

/* An AF_PACKET raw socket bound to interface ifindex, for writing whole Ethernet frames. */
int vnet_test_packet_socket(int ifindex);
/* One frame out through the packet socket. */
int vnet_test_packet_send(int fd, const void *frame, size_t length);
/* if_nametoindex. */
int vnet_test_interface_index(const char *name);
#endif
