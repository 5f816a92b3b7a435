#define _GNU_SOURCE 1
#include "vnet_tap_shim.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

int vnet_tap_ioctl_pointer(int fd, unsigned long request, void *argument) {
    int result = ioctl(fd, request, argument);
    return result < 0 ? -errno : result;
}

int vnet_tap_set_iff(int fd, char *name, uint16_t flags) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    request.ifr_flags = (short)flags;
    if (ioctl(fd, TUNSETIFF, &request) < 0) return -errno;
    memcpy(name, request.ifr_name, IFNAMSIZ);
    return 0;
}

int vnet_tap_get_iff(int fd, char *name, uint16_t *flags) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    if (ioctl(fd, TUNGETIFF, &request) < 0) return -errno;
    memcpy(name, request.ifr_name, IFNAMSIZ);
    *flags = (uint16_t)request.ifr_flags;
    return 0;
}

int vnet_tap_set_queue(int fd, int attach) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
    return ioctl(fd, TUNSETQUEUE, &request) < 0 ? -errno : 0;
}

unsigned long vnet_tap_tunsetvnethdrsz(void) { return TUNSETVNETHDRSZ; }
unsigned long vnet_tap_tungetvnethdrsz(void) { return TUNGETVNETHDRSZ; }
unsigned long vnet_tap_tunsetvnetle(void) { return TUNSETVNETLE; }
unsigned long vnet_tap_tunsetoffload(void) { return TUNSETOFFLOAD; }
unsigned long vnet_tap_tunsetsteeringebpf(void) { return TUNSETSTEERINGEBPF; }

int vnet_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) == 0 ? 0 : -errno;
}
