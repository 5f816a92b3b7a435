/*
 * Test-only system calls: per-thread capability changes. Each returns 0 or -errno.
 */
#ifndef VNET_TEST_SHIM_H
#define VNET_TEST_SHIM_H
#include <stdint.h>
#include <stddef.h>

/* Clears (enable = 0) or sets CAP_NET_ADMIN in the calling thread's effective set; the
 * permitted set is kept, so it can be raised again. */
int vnet_test_set_net_admin(int enable);
/* 1 when CAP_NET_ADMIN is in the calling thread's effective set, 0 when not. */
int vnet_test_has_net_admin(void);

#endif
