#define _GNU_SOURCE 1
#include "vnet_tap_shim.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <liburing.h>

/* liburing 2.3 knows neither the opcode nor its helper (2.5). */
#define VNET_IORING_OP_READ_MULTISHOT 49
#define VNET_BUFFER_GROUP 0

struct vnet_uring {
    struct io_uring ring;
    struct io_uring_buf_ring *buffers;
    size_t buffers_bytes;
    unsigned buffer_count;
    unsigned buffer_size;
    char *base;
};

/*
 * Ring set-up and tear-down hold this lock, the probe's short-lived ring included. liburing maps
 * and unmaps ring memory with raw system calls, which ThreadSanitizer does not see: when a new
 * ring is mapped where a destroyed one lay, the old ring's accesses look like races with the new
 * one's. The kernel orders the unmap before the map; the lock shows ThreadSanitizer that order.
 * Rings are made and destroyed once per reader thread, never on the frame path.
 */
static pthread_mutex_t ring_lifecycle = PTHREAD_MUTEX_INITIALIZER;

int vnet_uring_multishot_supported(void) {
    pthread_mutex_lock(&ring_lifecycle);
    struct io_uring_probe *probe = io_uring_get_probe();
    pthread_mutex_unlock(&ring_lifecycle);
    if (!probe) return 0;
    int supported = io_uring_opcode_supported(probe, VNET_IORING_OP_READ_MULTISHOT);
    io_uring_free_probe(probe);
    return supported ? 1 : 0;
}

/*
 * Set-ups tried in order. Deferred task work (6.1+) runs the multishot read's retries when the
 * reader waits, all in one go, instead of interrupting the reader (or idling it) for each; it
 * needs a single issuer (6.0+). Older kernels refuse these flags with EINVAL.
 */
static const unsigned setup_attempts[] = {
    IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN,
    IORING_SETUP_CQSIZE,
};

vnet_uring *vnet_uring_create(unsigned entries, unsigned completion_entries, int *error) {
    vnet_uring *ring = calloc(1, sizeof *ring);
    if (!ring) { *error = ENOMEM; return NULL; }
    int result = -EINVAL;
    pthread_mutex_lock(&ring_lifecycle);
    for (size_t attempt = 0; attempt < sizeof setup_attempts / sizeof setup_attempts[0]; attempt++) {
        struct io_uring_params params = {0};
        params.flags = setup_attempts[attempt];
        params.cq_entries = completion_entries > 2 * entries ? completion_entries : 2 * entries;
        result = io_uring_queue_init_params(entries, &ring->ring, &params);
        if (result != -EINVAL) break;
    }
    pthread_mutex_unlock(&ring_lifecycle);
    if (result < 0) { free(ring); *error = -result; return NULL; }
    return ring;
}

void vnet_uring_destroy(vnet_uring *ring) {
    if (!ring) return;
    pthread_mutex_lock(&ring_lifecycle);
    if (ring->buffers) {
        io_uring_unregister_buf_ring(&ring->ring, VNET_BUFFER_GROUP);
        munmap(ring->buffers, ring->buffers_bytes);
    }
    io_uring_queue_exit(&ring->ring);
    pthread_mutex_unlock(&ring_lifecycle);
    free(ring);
}

int vnet_uring_register_buffers(vnet_uring *ring, void *base, unsigned count, unsigned size) {
    size_t bytes = (size_t)count * sizeof(struct io_uring_buf);
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return -errno;
    struct io_uring_buf_reg registration = {0};
    registration.ring_addr = (unsigned long)memory;
    registration.ring_entries = count;
    registration.bgid = VNET_BUFFER_GROUP;
    int result = io_uring_register_buf_ring(&ring->ring, &registration, 0);
    if (result < 0) { munmap(memory, bytes); return result; }
    ring->buffers = memory;
    ring->buffers_bytes = bytes;
    ring->buffer_count = count;
    ring->buffer_size = size;
    ring->base = base;
    io_uring_buf_ring_init(ring->buffers);
    return 0;
}

void vnet_uring_provide(vnet_uring *ring, const uint32_t *ids, unsigned n) {
    int mask = io_uring_buf_ring_mask(ring->buffer_count);
    for (unsigned i = 0; i < n; i++) {
        io_uring_buf_ring_add(ring->buffers, ring->base + (size_t)ids[i] * ring->buffer_size,
                              ring->buffer_size, (unsigned short)ids[i], mask, (int)i);
    }
    if (n) io_uring_buf_ring_advance(ring->buffers, (int)n);
}

int vnet_uring_arm_multishot(vnet_uring *ring, int fd, uint64_t tag) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (!sqe) return -EBUSY;
    /* len 0, offset 0: each read takes a buffer from the group. */
    io_uring_prep_rw(VNET_IORING_OP_READ_MULTISHOT, sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = VNET_BUFFER_GROUP;
    sqe->user_data = tag;
    return 0;
}

int vnet_uring_arm_read_chain(vnet_uring *ring, int fd, void *base, unsigned stride, unsigned length,
                              const uint32_t *ids, unsigned count, uint64_t tag_low) {
    /* Several reads waiting on one fd at once take frames out of order: a frame wakes every
     * waiting read, the losers re-arm, and a read that keeps losing is handed to an io-wq
     * worker, which completes it alongside the others. A hard link (a short read, normal on a
     * tap, would break a plain IOSQE_IO_LINK) runs them one after another instead. */
    if (io_uring_sq_space_left(&ring->ring) < count) return -EBUSY;
    for (unsigned i = 0; i < count; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
        io_uring_prep_read(sqe, fd, (char *)base + (size_t)ids[i] * stride, length, 0);
        sqe->user_data = (uint64_t)ids[i] << 8 | tag_low;
        if (i + 1 < count) sqe->flags |= IOSQE_IO_HARDLINK;
    }
    return 0;
}

int vnet_uring_arm_poll(vnet_uring *ring, int fd, uint64_t tag) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
    if (!sqe) return -EBUSY;
    io_uring_prep_poll_add(sqe, fd, POLLIN);
    sqe->user_data = tag;
    return 0;
}

int vnet_uring_submit(vnet_uring *ring) {
    return io_uring_submit(&ring->ring);
}

int vnet_uring_wait(vnet_uring *ring, int timeout_ms, vnet_uring_completion *out, unsigned max) {
    struct io_uring_cqe *first = NULL;
    struct __kernel_timespec timeout = { timeout_ms / 1000, (long long)(timeout_ms % 1000) * 1000000 };
    int waited = io_uring_wait_cqe_timeout(&ring->ring, &first, &timeout);
    if (waited < 0 && waited != -ETIME && waited != -EINTR) return waited;
    struct io_uring_cqe *completions[64];
    unsigned limit = max < 64 ? max : 64;
    unsigned ready = io_uring_peek_batch_cqe(&ring->ring, completions, limit);
    for (unsigned i = 0; i < ready; i++) {
        out[i].tag = completions[i]->user_data;
        out[i].result = completions[i]->res;
        out[i].flags = completions[i]->flags;
    }
    io_uring_cq_advance(&ring->ring, ready);
    return (int)ready;
}
