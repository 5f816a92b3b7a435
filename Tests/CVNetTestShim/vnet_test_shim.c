#define _GNU_SOURCE 1
#include "vnet_test_shim.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int vnet_test_set_privileged(int enable) {
    struct __user_cap_data_struct data[2];
    int result = capabilities(data, 0);
    if (result != 0) return result;
    uint32_t low = (1u << CAP_NET_ADMIN) | (1u << CAP_SYS_ADMIN);
    uint32_t high = 1u << (CAP_BPF - 32);
    if (enable) {
        data[0].effective |= low;
        data[1].effective |= high;
    } else {
        data[0].effective &= ~low;
        data[1].effective &= ~high;
    }
    return capabilities(data, 1);
}

int vnet_test_set_sys_admin(int enable) {
    struct __user_cap_data_struct data[2];
    int result = capabilities(data, 0);
    if (result != 0) return result;
    if (enable) data[0].effective |= 1u << CAP_SYS_ADMIN;
    else data[0].effective &= ~(1u << CAP_SYS_ADMIN);
    return capabilities(data, 1);
}

int vnet_test_vlan_push_egress(const char *name, uint16_t tci) {
    unsigned index = if_nametoindex(name);
    if (index == 0) return -errno;
    /* r6 = skb; bpf_skb_vlan_push(skb, htons(ETH_P_8021Q), tci); return TC_ACT_OK. */
    struct bpf_insn program[] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1 },
        { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_6 },
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0x0081 }, /* htons(0x8100), little-endian */
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = tci },
        { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_skb_vlan_push },
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK },
        { .code = BPF_JMP | BPF_EXIT },
    };
    int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vnet_vlan_push", "GPL", program,
                           sizeof program / sizeof program[0], NULL);
    if (fd < 0) return -errno;
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)index, .attach_point = BPF_TC_EGRESS);
    int result = bpf_tc_hook_create(&hook);
    if (result < 0 && result != -EEXIST) { close(fd); return result; }
    LIBBPF_OPTS(bpf_tc_opts, attach, .prog_fd = fd);
    result = bpf_tc_attach(&hook, &attach);
    if (result < 0) { close(fd); return result; }
    return fd;
}
