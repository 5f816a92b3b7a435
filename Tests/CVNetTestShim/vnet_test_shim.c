#define _GNU_SOURCE 1
#include "vnet_test_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int vnet_test_unshare_network(void) {
    if (unshare(CLONE_NEWNET) != 0) return -errno;
    return vnet_test_current_network();
}

int vnet_test_current_network(void) {
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int vnet_test_enter_network(int fd) {
    return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
}

static int capabilities(struct __user_cap_data_struct data[2], int set) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    long result = set ? syscall(SYS_capset, &header, data) : syscall(SYS_capget, &header, data);
    return result == 0 ? 0 : -errno;
}

int vnet_test_set_net_admin(int enable) {
    struct __user_cap_data_struct data[2];
    int result = capabilities(data, 0);
    if (result != 0) return result;
    if (enable) data[0].effective |= 1u << CAP_NET_ADMIN;
    else data[0].effective &= ~(1u << CAP_NET_ADMIN);
    return capabilities(data, 1);
}

int vnet_test_has_net_admin(void) {
    struct __user_cap_data_struct data[2];
    int result = capabilities(data, 0);
    if (result != 0) return result;
    return (data[0].effective >> CAP_NET_ADMIN) & 1;
}

int vnet_test_packet_socket(int ifindex) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = 0;
    address.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int vnet_test_packet_send(int fd, const void *frame, size_t length) {
    ssize_t sent = send(fd, frame, length, 0);
    return sent < 0 ? -errno : (int)sent;
}

int vnet_test_interface_index(const char *name) {
    unsigned index = if_nametoindex(name);
    return index == 0 ? -errno : (int)index;
}
