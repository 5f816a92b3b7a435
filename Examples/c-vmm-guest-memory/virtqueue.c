/* A split virtqueue in guest memory: see virtqueue.h. */
#define _GNU_SOURCE
#include "virtqueue.h"

#include <string.h>
#include <sys/mman.h>

int guest_memory_map(struct guest_memory *memory, uint64_t size) {
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return -1;
    *memory = (struct guest_memory){.base = base, .size = size, .next_free = 4096 /* address 0 stays unused */};
    return 0;
}

void guest_memory_unmap(struct guest_memory *memory) {
    munmap(memory->base, memory->size);
    memory->base = NULL;
}

void *guest_memory_at(const struct guest_memory *memory, uint64_t address, uint64_t length) {
    if (address > memory->size || length > memory->size - address) return NULL;
    return memory->base + address;
}

uint64_t guest_memory_allocate(struct guest_memory *memory, uint64_t length, uint64_t alignment) {
    uint64_t address = (memory->next_free + alignment - 1) & ~(alignment - 1);
    memory->next_free = address + length;
    return address;
}

int virtqueue_create(struct virtqueue *queue, struct guest_memory *memory, enum chain_shape shape) {
    uint64_t desc = guest_memory_allocate(memory, sizeof(struct vring_desc) * QUEUE_SIZE, 16);
    uint64_t avail = guest_memory_allocate(memory, sizeof(struct vring_avail) + 2 * QUEUE_SIZE + 2, 2);
    uint64_t used = guest_memory_allocate(memory, sizeof(struct vring_used) + sizeof(struct vring_used_elem) * QUEUE_SIZE + 2, 4);
    if (memory->next_free > memory->size) return -1;
    *queue = (struct virtqueue){.memory = memory, .desc = guest_memory_at(memory, desc, 1), .avail = guest_memory_at(memory, avail, 1),
                                .used = guest_memory_at(memory, used, 1), .shape = shape};
    return 0;
}

/* ---- The driver's side -------------------------------------------------------------------- */

/* The descriptor lengths of one chain of `shape`. */
static unsigned chain_lengths(enum chain_shape shape, uint32_t lengths[CHAIN_MAX_ELEMENTS]) {
    switch (shape) {
    case CHAIN_ONE_BUFFER: lengths[0] = 2048; return 1;
    case CHAIN_HEADER_APART: lengths[0] = 20, lengths[1] = 2048; return 2;
    case CHAIN_MERGEABLE: lengths[0] = 256; return 1;
    case CHAIN_SCATTERED: lengths[0] = 7, lengths[1] = 1, lengths[2] = 12, lengths[3] = 2048; return 4;
    }
    return 0;
}

void virtqueue_post_chains(struct virtqueue *queue) {
    uint32_t lengths[CHAIN_MAX_ELEMENTS];
    unsigned count = chain_lengths(queue->shape, lengths);
    uint16_t posted = 0;
    while (queue->driver_free_head + count <= QUEUE_SIZE) {
        uint16_t head = queue->driver_free_head;
        for (unsigned i = 0; i < count; i++) {
            struct vring_desc *desc = &queue->desc[head + i];
            desc->addr = guest_memory_allocate(queue->memory, lengths[i], 8);
            desc->len = lengths[i];
            desc->flags = VRING_DESC_F_WRITE | (i + 1 < count ? VRING_DESC_F_NEXT : 0);
            desc->next = (uint16_t)(i + 1 < count ? head + i + 1 : 0);
        }
        queue->avail->ring[(queue->avail->idx + posted) % QUEUE_SIZE] = head;
        queue->driver_free_head = (uint16_t)(head + count);
        posted++;
    }
    /* The ring entries before the index: a release store, as a driver's virtio_wmb(). */
    __atomic_store_n(&queue->avail->idx, (uint16_t)(queue->avail->idx + posted), __ATOMIC_RELEASE);
}

void virtqueue_repost(struct virtqueue *queue, uint16_t head) {
    queue->avail->ring[queue->avail->idx % QUEUE_SIZE] = head;
    __atomic_store_n(&queue->avail->idx, (uint16_t)(queue->avail->idx + 1), __ATOMIC_RELEASE);
}

bool virtqueue_next_used(struct virtqueue *queue, struct vring_used_elem *element) {
    uint16_t published = __atomic_load_n(&queue->used->idx, __ATOMIC_ACQUIRE);
    if (queue->driver_last_used == published) return false;
    *element = queue->used->ring[queue->driver_last_used % QUEUE_SIZE];
    queue->driver_last_used++;
    return true;
}

size_t virtqueue_gather(const struct virtqueue *queue, uint16_t head, uint32_t length, uint8_t *out, size_t capacity) {
    size_t gathered = 0;
    uint16_t index = head;
    for (unsigned hop = 0; hop < CHAIN_MAX_ELEMENTS && gathered < length && index < QUEUE_SIZE; hop++) {
        const struct vring_desc *desc = &queue->desc[index];
        size_t take = desc->len < length - gathered ? desc->len : length - gathered;
        if (take > capacity - gathered) break;
        memcpy(out + gathered, guest_memory_at(queue->memory, desc->addr, take), take);
        gathered += take;
        if (!(desc->flags & VRING_DESC_F_NEXT)) break;
        index = desc->next;
    }
    return gathered;
}

/* ---- The device's side (the VMM's queue thread) ------------------------------------------ */

int virtqueue_pop(struct virtqueue *queue, struct chain *chain) {
    uint16_t available = __atomic_load_n(&queue->avail->idx, __ATOMIC_ACQUIRE);
    if (queue->device_last_avail == available) return 0;
    if ((uint16_t)(available - queue->device_last_avail) > QUEUE_SIZE) return -1; /* more than the ring holds */
    uint16_t head = queue->avail->ring[queue->device_last_avail % QUEUE_SIZE];
    /* The guest owns these bytes and may change them meanwhile: each descriptor is read once
     * into a local copy, then checked, as a device must. */
    uint16_t index = head;
    chain->head = head;
    chain->count = 0;
    chain->capacity = 0;
    for (;;) {
        if (index >= QUEUE_SIZE || chain->count == CHAIN_MAX_ELEMENTS) return -1;
        struct vring_desc desc;
        memcpy(&desc, &queue->desc[index], sizeof desc);
        void *buffer = guest_memory_at(queue->memory, desc.addr, desc.len);
        if (!buffer || !(desc.flags & VRING_DESC_F_WRITE) || (desc.flags & VRING_DESC_F_INDIRECT)) return -1;
        chain->iov[chain->count++] = (struct iovec){buffer, desc.len};
        chain->capacity += desc.len;
        if (!(desc.flags & VRING_DESC_F_NEXT)) break;
        index = desc.next;
    }
    queue->device_last_avail++;
    return 1;
}

void virtqueue_unpop(struct virtqueue *queue, uint16_t count) {
    queue->device_last_avail = (uint16_t)(queue->device_last_avail - count);
}

void virtqueue_push(struct virtqueue *queue, uint16_t head, uint32_t length) {
    queue->used->ring[queue->device_used % QUEUE_SIZE] = (struct vring_used_elem){.id = head, .len = length};
    queue->device_used++;
}

void virtqueue_publish(struct virtqueue *queue) {
    __atomic_store_n(&queue->used->idx, queue->device_used, __ATOMIC_RELEASE);
}
