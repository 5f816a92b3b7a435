#define _GNU_SOURCE 1
#include "vnet_test_shim.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

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
