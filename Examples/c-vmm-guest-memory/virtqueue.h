/*
 * A split virtqueue (virtio 1.x, 2.7) in a guest-memory region, from both sides: the guest
 * driver posts receive chains and reads the used ring; the device (the VMM's queue thread)
 * pops chains into iovecs over guest memory and publishes used entries. The ring layout is
 * struct vring_desc / vring_avail / vring_used of <linux/virtio_ring.h>; guest physical
 * addresses are offsets into the region.
 */
#ifndef VMM_VIRTQUEUE_H
#define VMM_VIRTQUEUE_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define QUEUE_SIZE 1024u      /* descriptors per virtqueue */
#define CHAIN_MAX_ELEMENTS 8u /* the longest chain a queue thread accepts */

/* Guest memory: one mmap'd region, addressed by guest physical address = offset. */
struct guest_memory {
    uint8_t *base;
    uint64_t size;
    uint64_t next_free; /* the guest's bump allocator */
};

int guest_memory_map(struct guest_memory *memory, uint64_t size);
void guest_memory_unmap(struct guest_memory *memory);
/* `length` bytes at guest address `address`, or NULL when any of them lies outside. */
void *guest_memory_at(const struct guest_memory *memory, uint64_t address, uint64_t length);
uint64_t guest_memory_allocate(struct guest_memory *memory, uint64_t length, uint64_t alignment);

/* The shape of the receive chains a queue's driver posts. */
enum chain_shape {
    CHAIN_ONE_BUFFER,   /* one 2,048-byte buffer: header and frame */
    CHAIN_HEADER_APART, /* the 20-byte header in its own descriptor, then 2,048 bytes */
    CHAIN_MERGEABLE,    /* VIRTIO_NET_F_MRG_RXBUF: 256-byte single buffers, a frame spans several */
    CHAIN_SCATTERED,    /* 7 + 1 + 12 + 2,048 bytes: the header straddles three descriptors */
};

/* One virtqueue: the rings in guest memory and each side's private indices. */
struct virtqueue {
    struct guest_memory *memory;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    enum chain_shape shape;
    /* driver side */
    uint16_t driver_free_head; /* the next descriptor to post */
    uint16_t driver_last_used; /* used entries read so far */
    /* device side (the queue thread) */
    uint16_t device_last_avail; /* avail entries taken so far */
    uint16_t device_used;       /* used entries published so far */
};

/* A chain the device popped: its head, its elements over guest memory, their byte count. */
struct chain {
    uint16_t head;
    uint16_t count;
    uint32_t capacity;
    struct iovec iov[CHAIN_MAX_ELEMENTS];
};

int virtqueue_create(struct virtqueue *queue, struct guest_memory *memory, enum chain_shape shape);

/* Driver: posts as many chains of the queue's shape as its descriptors hold. */
void virtqueue_post_chains(struct virtqueue *queue);
/* Driver: posts the chain at `head` again, its buffers read (release on avail->idx). */
void virtqueue_repost(struct virtqueue *queue, uint16_t head);
/* Driver: the next used entry (acquire on used->idx), false when none is left. */
bool virtqueue_next_used(struct virtqueue *queue, struct vring_used_elem *element);
/* Driver: the bytes `length` of the chain at `head` hold, gathered into `out`. */
size_t virtqueue_gather(const struct virtqueue *queue, uint16_t head, uint32_t length, uint8_t *out, size_t capacity);

/* Device: pops the next available chain into `chain` (acquire on avail->idx): 1, 0 when none
 * is available, -1 for a chain a device must refuse (out of guest memory, a read-only or
 * looping descriptor, too long). */
int virtqueue_pop(struct virtqueue *queue, struct chain *chain);
/* Device: gives the last `count` popped chains back, unused. */
void virtqueue_unpop(struct virtqueue *queue, uint16_t count);
/* Device: adds used entry (head, length), seen by the driver at the next publish. */
void virtqueue_push(struct virtqueue *queue, uint16_t head, uint32_t length);
/* Device: publishes the entries pushed so far (release on used->idx): a mergeable frame's
 * chains all at once. */
void virtqueue_publish(struct virtqueue *queue);

#endif
