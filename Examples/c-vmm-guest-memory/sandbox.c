/*
 * The queue threads' seccomp filter, in the spirit of cloud-hypervisor's: a queue thread may
 * read its tap queue (readv), wait for it (ppoll) and end; any other system call kills the
 * process. vnet_rss_steering_classify_iov runs under it, so a system call (or an allocation
 * that needs one) on the per-frame path would end the example with SIGSYS.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#define ALLOW(number) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (number), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

int sandbox_queue_thread(void) {
#ifdef SANDBOX_ARCH
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ALLOW(__NR_readv),
        ALLOW(__NR_ppoll),
        /* A thread's end in glibc: signals blocked, the stack given back, joiners woken. */
        ALLOW(__NR_rt_sigprocmask),
        ALLOW(__NR_madvise),
        ALLOW(__NR_futex),
        ALLOW(__NR_exit),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    /* This thread only (no SECCOMP_FILTER_FLAG_TSYNC): the control thread keeps bpf(2) and ioctl. */
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) return -errno;
    return 1;
#else
    return 0;
#endif
}
