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

/* Clears (enable = 0) or sets CAP_BPF, CAP_SYS_ADMIN and CAP_NET_ADMIN in the calling
 * thread's effective set (the permitted set is kept): without them, loading a BPF program or
 * creating a map is refused where kernel.unprivileged_bpf_disabled is set, as for a VMM that
 * runs unprivileged. */
int vnet_test_set_privileged(int enable);

/* Clears (enable = 0) or sets CAP_SYS_ADMIN alone in the calling thread's effective set (the
 * permitted set is kept): a loader that holds CAP_BPF and CAP_PERFMON but not CAP_SYS_ADMIN. */
int vnet_test_set_sys_admin(int enable);

/* Attaches to the egress of interface `name` (in the calling thread's network namespace) a
 * tc program that pushes an 802.1Q tag with `tci` on every frame: the host stack's VLAN
 * offload, which keeps the tag in the socket buffer's metadata, not in the frame, until the
 * tap writes it out. Runs before the tap picks a queue. Returns the program's fd (close it
 * after the interface is gone) or -errno. */
int vnet_test_vlan_push_egress(const char *name, uint16_t tci);

#endif
