/* The example's traffic and its independent check: see frames.h. */
#include "frames.h"

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <string.h>

static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
enum { TAG_SIZE = 5 }; /* 'V' 'R' phase number(be16), the frame's last bytes */

static void put16(uint8_t *at, uint16_t value) { at[0] = (uint8_t)(value >> 8), at[1] = (uint8_t)value; }
static uint16_t get16(const uint8_t *at) { return (uint16_t)(at[0] << 8 | at[1]); }

size_t frame_build(uint8_t *frame, uint8_t phase, uint16_t number) {
    bool arp = number % 25 == 24;
    bool ipv6 = number % 4 >= 2;
    uint8_t protocol = number % 2 ? 17 : 6;
    size_t l3 = 14, l4 = l3 + (ipv6 ? 40 : 20), end = arp ? l3 + 28 : l4 + (protocol == 6 ? 20 : 8);
    size_t length = 60 + (size_t)number * 97 % (FRAME_MAX - 59);
    if (length < end + TAG_SIZE) length = end + TAG_SIZE;
    memset(frame, 0xa5, length);
    memcpy(frame, macs, 12);
    if (arp) {
        static const uint8_t request[8] = {0, 1, 0x08, 0x00, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
        put16(frame + 12, 0x0806);
        memcpy(frame + l3, request, 8);
        memset(frame + l3 + 8, 0, 20);
    } else if (ipv6) {
        put16(frame + 12, 0x86dd);
        const uint8_t fixed[8] = {0x60, 0, 0, 0, 0, 0, protocol, 64};
        memcpy(frame + l3, fixed, 8);
        put16(frame + l3 + 4, (uint16_t)(length - l4));
        memset(frame + l3 + 8, 0, 32);
        frame[l3 + 8] = 0xfd, frame[l3 + 22] = (uint8_t)(number >> 8), frame[l3 + 23] = (uint8_t)number;
        frame[l3 + 24] = 0xfd, frame[l3 + 39] = 1;
    } else {
        put16(frame + 12, 0x0800);
        const uint8_t fixed[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0, 10, 9, (uint8_t)(number >> 8), (uint8_t)number, 10, 7, 0, 1};
        memcpy(frame + l3, fixed, 20);
        put16(frame + l3 + 2, (uint16_t)(length - l3));
    }
    if (!arp) {
        put16(frame + l4, (uint16_t)(1024 + number * 7));
        put16(frame + l4 + 2, (uint16_t)(443 + phase));
        memset(frame + l4 + 4, 0, end - l4 - 4);
        if (protocol == 6) frame[l4 + 12] = 0x50; /* data offset: 5 words, no options */
        else put16(frame + l4 + 4, (uint16_t)(length - l4));
    }
    uint8_t *tag = frame + length - TAG_SIZE;
    tag[0] = 'V', tag[1] = 'R', tag[2] = phase;
    put16(tag + 3, number);
    return length;
}

int frame_identify(const uint8_t *frame, size_t length, uint8_t *phase, uint16_t *number) {
    if (length < 14 + TAG_SIZE || memcmp(frame, macs, 12) != 0) return -1;
    const uint8_t *tag = frame + length - TAG_SIZE;
    if (tag[0] != 'V' || tag[1] != 'R') return -1;
    *phase = tag[2];
    *number = get16(tag + 3);
    return 0;
}

/* Toeplitz as the virtio spec words it: input bit j adds the key bits [j, j + 32). */
static uint32_t toeplitz(const uint8_t *key, const uint8_t *input, size_t length) {
    uint32_t result = 0;
    for (size_t bit = 0; bit < 8 * length; bit++) {
        if (!(input[bit / 8] & (0x80 >> (bit % 8)))) continue;
        uint32_t window = 0;
        for (size_t k = 0; k < 32; k++) window = window << 1 | ((key[(bit + k) / 8] >> (7 - (bit + k) % 8)) & 1);
        result ^= window;
    }
    return result;
}

struct expected frame_expect(const uint8_t *frame, size_t length, const struct rss_settings *settings) {
    struct expected none = {.hash = 0, .report = VIRTIO_NET_HASH_REPORT_NONE, .queue = settings->unclassified_queue};
    if (length < 14) return none;
    uint16_t type = get16(frame + 12);
    size_t l3 = 14, width;
    uint8_t protocol;
    if (type == 0x0800 && length >= l3 + 20 && frame[l3] == 0x45 && (get16(frame + l3 + 6) & 0x3fff) == 0) {
        width = 4, protocol = frame[l3 + 9];
    } else if (type == 0x86dd && length >= l3 + 40) {
        width = 16, protocol = frame[l3 + 6];
    } else {
        return none;
    }
    size_t l4 = l3 + (width == 4 ? 20 : 40);
    bool ports = (protocol == 6 && length >= l4 + 20) || (protocol == 17 && length >= l4 + 8);
    uint8_t tuple[36];
    memcpy(tuple, frame + l3 + (width == 4 ? 12 : 8), 2 * width);
    if (ports) memcpy(tuple + 2 * width, frame + l4, 4);
    struct expected result;
    result.hash = toeplitz(settings->key, tuple, 2 * width + (ports ? 4 : 0));
    if (width == 4) result.report = !ports ? VIRTIO_NET_HASH_REPORT_IPv4 : protocol == 6 ? VIRTIO_NET_HASH_REPORT_TCPv4 : VIRTIO_NET_HASH_REPORT_UDPv4;
    else result.report = !ports ? VIRTIO_NET_HASH_REPORT_IPv6 : protocol == 6 ? VIRTIO_NET_HASH_REPORT_TCPv6 : VIRTIO_NET_HASH_REPORT_UDPv6;
    result.queue = settings->table[result.hash & (settings->table_length - 1u)];
    return result;
}
