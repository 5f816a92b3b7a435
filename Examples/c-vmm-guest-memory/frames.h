/*
 * The example's traffic and its independent check: frames numbered in their payload, and what
 * the virtio spec says a device reports for each (a bit-by-bit Toeplitz over the frame's own
 * fields, the queue from the indirection table), computed without libvnetrss.
 */
#ifndef VMM_FRAMES_H
#define VMM_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 1514u

/* A guest's RSS configuration as the check sees it. */
struct rss_settings {
    const uint8_t *key; /* 40 bytes */
    const uint16_t *table;
    uint16_t table_length; /* a power of two */
    uint16_t unclassified_queue;
};

/* What a device must report for a frame. */
struct expected {
    uint32_t hash;
    uint16_t report; /* VIRTIO_NET_HASH_REPORT_* */
    uint16_t queue;
};

/* Frame `number` of `phase`: IPv4 and IPv6, TCP and UDP in turn, an ARP frame now and then
 * (unclassified); 60 to 1,514 bytes. Returns its length. */
size_t frame_build(uint8_t *frame, uint8_t phase, uint16_t number);

/* The phase and number a frame carries; -1 for a frame this program did not build. */
int frame_identify(const uint8_t *frame, size_t length, uint8_t *phase, uint16_t *number);

/* The report for `frame` under `settings`, all hash types enabled. */
struct expected frame_expect(const uint8_t *frame, size_t length, const struct rss_settings *settings);

#endif
