/*
 * The C calls of VNetTapTools, the tools the tests, the benchmarks and the demo share (not
 * shipped in VNetTap): private network namespaces, AF_PACKET frame injection, CPU affinity.
 * Each returns 0 (or a descriptor, a count, a CPU) or -errno.
 */
#ifndef VNET_TOOLS_SHIM_H
#define VNET_TOOLS_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <sys/eventfd.h>

/* unshare(CLONE_NEWNET) for the calling thread, then an fd of its new namespace. */
int vnet_tap_unshare_network(void);
/* An fd of the calling thread's current network namespace. */
int vnet_tap_current_network(void);
/* setns(fd, CLONE_NEWNET) for the calling thread. */
int vnet_tap_enter_network(int fd);

/* An AF_PACKET raw socket bound to interface ifindex, for writing whole Ethernet frames;
 * with bypass, PACKET_QDISC_BYPASS is set. */
int vnet_tap_packet_socket(int ifindex, int bypass);
/* Up to count frames (frames[i] of lengths[i] bytes) in one sendmmsg; the count sent or -errno. */
int vnet_tap_packet_send_batch(int fd, const void *const *frames, const unsigned *lengths, unsigned count);
/* A thread's CPU affinity, whole (cpu_set_t: 1,024 CPUs), to be saved and put back. */
typedef struct { uint64_t bits[16]; } vnet_cpu_mask;
/* sched_getaffinity for the calling thread. */
int vnet_thread_cpus_get(vnet_cpu_mask *mask);
/* sched_setaffinity for the calling thread; threads it creates afterwards inherit the mask. */
int vnet_thread_cpus_set(const vnet_cpu_mask *mask);
/* Pins the calling thread to the CPU it is running on; returns that CPU or -errno. */
int vnet_thread_pin_here(void);

/* if_nametoindex, or -errno. */
int vnet_tap_interface_index(const char *name);

#endif
