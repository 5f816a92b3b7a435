#define _GNU_SOURCE 1
#include "vnet_tools_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

_Static_assert(sizeof(vnet_cpu_mask) == sizeof(cpu_set_t), "vnet_cpu_mask must hold a cpu_set_t");

int vnet_tap_unshare_network(void) {
    if (unshare(CLONE_NEWNET) != 0) return -errno;
    return vnet_tap_current_network();
}

int vnet_tap_current_network(void) {
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int vnet_tap_enter_network(int fd) {
    return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
}

int vnet_tap_packet_socket(int ifindex, int bypass) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_ifindex = ifindex;
    int one = 1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0
        || (bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0)) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int vnet_tap_packet_send_batch(int fd, const void *const *frames, const unsigned *lengths, unsigned count) {
    struct mmsghdr messages[64];
    struct iovec vectors[64];
    if (count > 64) count = 64;
    memset(messages, 0, sizeof messages);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)frames[i];
        vectors[i].iov_len = lengths[i];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, messages, count, 0);
    return sent < 0 ? -errno : sent;
}

int vnet_tap_interface_index(const char *name) {
    unsigned index = if_nametoindex(name);
    return index == 0 ? -errno : (int)index;
}

int vnet_thread_cpus_get(vnet_cpu_mask *mask) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    memcpy(mask, &set, sizeof set);
    return 0;
}

int vnet_thread_cpus_set(const vnet_cpu_mask *mask) {
    cpu_set_t set;
    memcpy(&set, mask, sizeof set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -errno;
}

int vnet_thread_pin_here(void) {
    int cpu = sched_getcpu();
    if (cpu < 0) return -errno;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -errno;
}
