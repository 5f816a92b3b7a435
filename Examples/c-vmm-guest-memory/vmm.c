/*
 * c-vmm-guest-memory: RSS and hash reports for a VMM that keeps its own receive path, the way
 * cloud-hypervisor and Firecracker have it: one thread per queue pair readv()s from its own tap
 * queue straight into the guest's descriptor chain. libvnetrss only steers (the kernel places
 * each frame on its queue's tap queue with the steering program) and, after the thread's own
 * readv, writes the hash report into guest memory (vnet_rss_steering_classify_iov). No copy.
 *
 * The parts, in one process:
 * - guest memory: one mmap'd region holding four split virtqueues and their receive buffers,
 *   each queue with chains of its own shape: one buffer; the header in its own descriptor;
 *   mergeable buffers (num_buffers); the header scattered over three descriptors;
 * - the device: four queue threads, each under a seccomp filter that allows readv and ppoll
 *   only (sandbox.c), and a control thread that executes the guest's control-queue commands
 *   (VIRTIO_NET_CTRL_MQ_RSS_CONFIG, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) on the steering object;
 * - the guest: the main thread, which posts receive chains, sends control commands (the first
 *   RSS configuration, then a refused one, then three queue pairs and a new configuration),
 *   sends traffic into the tap (AF_PACKET), and reads its used rings like a driver;
 * - the check: every frame against an independent computation (frames.c: a bit-by-bit
 *   Toeplitz, the queue from the table), its bytes, its queue, its header.
 *
 * Prints "vmm-example C: N frames, N verified, 0 mismatched, 0 strays" and exits 0 when every
 * frame arrived once, whole, on its queue, with the right header, and the program steered
 * every one (no strays). Run as root in a network namespace of its own:
 * `unshare --net ./c-vmm-guest-memory` (make vmm-example).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vnet_rss.h>

#include "frames.h"
#include "sandbox.h"
#include "virtqueue.h"

#define QUEUES 4
#define FRAMES_PER_PHASE 600
#define BURST 48 /* frames in flight at most: far below a tap queue's 500 */
#define TAP_NAME "vrssvmm0"
#define HEADER_SIZE 20 /* struct virtio_net_hdr_v1_hash */
#define MERGEABLE_BUFFER 256u
#define MERGEABLE_CHAINS ((HEADER_SIZE + FRAME_MAX + MERGEABLE_BUFFER - 1) / MERGEABLE_BUFFER)

static void fail(const char *what, int code) {
    fprintf(stderr, "c-vmm-guest-memory: %s: %s\n", what, strerror(code < 0 ? -code : code));
    exit(1);
}

static uint16_t le16(const uint8_t *at) { return (uint16_t)(at[0] | at[1] << 8); }
static uint32_t le32(const uint8_t *at) { return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24; }

/* The guest's keys and tables. */
static const uint8_t microsoft_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
static uint8_t second_key[40];
static uint16_t first_table[128];
static const uint16_t second_table[8] = {2, 1, 0, 2, 1, 0, 1, 2};
static const uint16_t refused_table[4] = {0, 1, 2, 7}; /* queue 7: past the device's 4 pairs */

/* ---- The device: one thread per queue pair -------------------------------------------------- */

struct queue_thread {
    uint16_t index;
    int tap_fd;
    struct virtqueue ring;
    pthread_t thread;
    atomic_bool enabled;      /* a queue pair the guest uses (VQ_PAIRS_SET) */
    atomic_long refused;      /* chains a device must refuse, classify errors */
    atomic_int sandboxed;     /* sandbox_queue_thread()'s answer */
};

static struct queue_thread queues[QUEUES];
static vnet_rss_steering *steering; /* the control thread's; queue threads classify on it */
static atomic_bool stopping;

/* Writes `length` bytes at byte `offset` of the data the elements hold, wherever they fall. */
static void write_elements(const struct iovec *iov, int count, size_t offset, const uint8_t *bytes, size_t length) {
    for (int i = 0; i < count && length > 0; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t take = iov[i].iov_len - offset < length ? iov[i].iov_len - offset : length;
        memcpy((uint8_t *)iov[i].iov_base + offset, bytes, take);
        bytes += take, length -= take, offset = 0;
    }
}

/* One frame from the tap queue into the guest's chains: 1 when one was delivered, 0 when the
 * tap queue had none, -1 when the guest posted no buffers. */
static int receive_frame(struct queue_thread *queue) {
    bool mergeable = queue->ring.shape == CHAIN_MERGEABLE;
    struct chain chains[MERGEABLE_CHAINS];
    struct iovec iov[MERGEABLE_CHAINS * CHAIN_MAX_ELEMENTS];
    int popped = 0, count = 0;
    uint32_t capacity = 0;
    /* Mergeable buffers: as many chains as the largest frame needs (Firecracker's way); else one. */
    while (popped < (mergeable ? (int)MERGEABLE_CHAINS : 1)) {
        int got = virtqueue_pop(&queue->ring, &chains[popped]);
        if (got < 0) atomic_fetch_add(&queue->refused, 1);
        if (got <= 0) break;
        memcpy(iov + count, chains[popped].iov, chains[popped].count * sizeof iov[0]);
        count += chains[popped].count;
        capacity += chains[popped].capacity;
        popped++;
    }
    /* Too few buffers for the largest frame: give them back and wait for the guest's. */
    if (popped == 0 || (mergeable && capacity < HEADER_SIZE + FRAME_MAX)) {
        virtqueue_unpop(&queue->ring, (uint16_t)popped);
        return -1;
    }
    ssize_t length = readv(queue->tap_fd, iov, count);
    if (length < 0) {
        virtqueue_unpop(&queue->ring, (uint16_t)popped);
        return 0; /* EAGAIN; EBADFD once the tap queue is detached */
    }
    /* tun returns the frame's whole length even where the chain held less: a truncated frame
     * (none here: every chain holds the largest) is counted and delivered as far as it went. */
    if ((size_t)length > capacity) {
        atomic_fetch_add(&queue->refused, 1);
        length = (ssize_t)capacity;
    }
    /* The hash report, in place: bytes 12-19 of the header, wherever the chain put them. */
    vnet_rss_guest_decision decision;
    if (vnet_rss_steering_classify_iov(steering, queue->index, iov, count, (size_t)length, HEADER_SIZE, &decision) < 0)
        atomic_fetch_add(&queue->refused, 1);
    /* num_buffers is the VMM's to write: the chains this frame filled. */
    uint16_t used = 0;
    for (uint32_t covered = 0; used < popped && (used == 0 || covered < (uint32_t)length); used++) covered += chains[used].capacity;
    const uint8_t num_buffers[2] = {(uint8_t)used, (uint8_t)(used >> 8)};
    write_elements(iov, count, offsetof(struct virtio_net_hdr_v1, num_buffers), num_buffers, 2);
    virtqueue_unpop(&queue->ring, (uint16_t)(popped - used));
    uint32_t remaining = (uint32_t)length;
    for (uint16_t i = 0; i < used; i++) {
        uint32_t take = remaining < chains[i].capacity ? remaining : chains[i].capacity;
        virtqueue_push(&queue->ring, chains[i].head, take);
        remaining -= take;
    }
    virtqueue_publish(&queue->ring);
    return 1;
}

static void *run_queue(void *argument) {
    struct queue_thread *queue = argument;
    atomic_store(&queue->sandboxed, sandbox_queue_thread());
    if (atomic_load(&queue->sandboxed) < 0) return NULL;
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
    struct pollfd readable = {.fd = queue->tap_fd, .events = POLLIN};
    while (!atomic_load(&stopping)) {
        if (!atomic_load(&queue->enabled)) {
            ppoll(NULL, 0, &tick, NULL);
            continue;
        }
        int delivered = receive_frame(queue);
        if (delivered == 0) ppoll(&readable, 1, &tick, NULL);
        if (delivered < 0) ppoll(NULL, 0, &tick, NULL); /* waiting for the guest's buffers */
    }
    return NULL;
}

/* ---- The device: the control thread ---------------------------------------------------------- */

static const vnet_rss_device_limits device_limits = {.queue_pairs = QUEUES, .max_indirection_table_length = 128,
                                                     .max_key_size = 40, .supported_hash_types = VNET_RSS_HASH_TYPES_ALL};

/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: the queue threads past the pairs stop before their tap queues
 * detach; the new ones start after theirs attach. */
static uint8_t set_queue_pairs(uint16_t pairs) {
    if (pairs < 1 || pairs > QUEUES) return VIRTIO_NET_ERR;
    for (uint16_t q = pairs; q < QUEUES; q++) atomic_store(&queues[q].enabled, false);
    if (vnet_rss_steering_set_queue_pairs(steering, pairs) < 0) return VIRTIO_NET_ERR;
    for (uint16_t q = 0; q < pairs; q++) atomic_store(&queues[q].enabled, true);
    return VIRTIO_NET_OK;
}

/* VIRTIO_NET_CTRL_MQ_RSS_CONFIG: decoded and validated as the guest's, with the hash reporting
 * the guest negotiated (the command carries RSS only), then published. */
static uint8_t apply_rss(const uint8_t *payload, size_t length) {
    vnet_rss_config *decoded = NULL, *config = NULL;
    vnet_rss_error error;
    int result = vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_VIRTIO, payload, length, &decoded, &error);
    if (result == 0) result = vnet_rss_config_validate(decoded, VNET_RSS_POLICY_VIRTIO, &device_limits, &error);
    if (result == 0) result = vnet_rss_config_with_features(decoded, VNET_RSS_FEATURE_RSS | VNET_RSS_FEATURE_HASH_REPORT, &config);
    if (result == 0) result = vnet_rss_steering_apply(steering, config, &error);
    if (result < 0) printf("control: RSS_CONFIG refused (%s)\n", error.message);
    vnet_rss_config_free(decoded);
    vnet_rss_config_free(config);
    return result == 0 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
}

/* The control virtqueue, as a SOCK_SEQPACKET socket: class, command, payload in; the ack out. */
static void *run_control(void *argument) {
    int control = *(int *)argument;
    uint8_t message[1024];
    ssize_t length;
    while ((length = recv(control, message, sizeof message, 0)) >= 2) {
        uint8_t ack = VIRTIO_NET_ERR;
        if (message[0] == VIRTIO_NET_CTRL_MQ && message[1] == VIRTIO_NET_CTRL_MQ_RSS_CONFIG) ack = apply_rss(message + 2, (size_t)length - 2);
        if (message[0] == VIRTIO_NET_CTRL_MQ && message[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && length == 4)
            ack = set_queue_pairs(le16(message + 2));
        if (send(control, &ack, 1, 0) != 1) break;
    }
    return NULL;
}

/* Device activation (the guest negotiated VIRTIO_NET_F_RSS and VIRTIO_NET_F_HASH_REPORT): the
 * steering object over the queue fds, hash reports on, RSS off until the guest configures it;
 * attach() takes effect with the first configuration that has RSS. */
static void activate(const int32_t *fds) {
    vnet_rss_fields fields = {.features = VNET_RSS_FEATURE_HASH_REPORT, .hash_types = VNET_RSS_HASH_TYPES_ALL,
                              .max_tx_vq = QUEUES, .key_length = 40};
    vnet_rss_config *config;
    vnet_rss_error error;
    int result = vnet_rss_config_create(&fields, NULL, microsoft_key, &config, &error);
    if (result < 0) fail(error.message, result);
    result = vnet_rss_steering_create(fds, QUEUES, config, 0, VNET_RSS_EX_RULE_SPEC, NULL, &steering, &error);
    if (result < 0) fail(error.message[0] ? error.message : "vnet_rss_steering_create", result);
    vnet_rss_config_free(config);
    if ((result = vnet_rss_steering_attach(steering)) < 0) fail("vnet_rss_steering_attach", result);
}

/* ---- The tap ------------------------------------------------------------------------------- */

static int open_tap_queue(void) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail("open /dev/net/tun", errno);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
    strncpy(request.ifr_name, TAP_NAME, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) fail("TUNSETIFF", errno);
    int header_size = HEADER_SIZE;
    if (ioctl(fd, TUNSETVNETHDRSZ, &header_size) < 0) fail("TUNSETVNETHDRSZ", errno);
    return fd;
}

/* The tap up, without IPv6: the kernel then sends no frames of its own into it. Returns its index. */
static int bring_up(void) {
    FILE *setting = fopen("/proc/sys/net/ipv6/conf/" TAP_NAME "/disable_ipv6", "w");
    if (setting) fputs("1", setting), fclose(setting);
    int socket_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, TAP_NAME, IFNAMSIZ - 1);
    if (ioctl(socket_fd, SIOCGIFFLAGS, &request) < 0) fail("SIOCGIFFLAGS", errno);
    request.ifr_flags |= IFF_UP;
    if (ioctl(socket_fd, SIOCSIFFLAGS, &request) < 0) fail("SIOCSIFFLAGS", errno);
    if (ioctl(socket_fd, SIOCGIFINDEX, &request) < 0) fail("SIOCGIFINDEX", errno);
    close(socket_fd);
    return request.ifr_ifindex;
}

/* ---- The guest ----------------------------------------------------------------------------- */


/* What the guest asked for in each phase, as the check sees it. */
static struct rss_settings phases[2];

struct tally {
    long sent[2], arrived[2], verified, mismatched, foreign;
    long per_queue[2][QUEUES];
    bool seen[2][FRAMES_PER_PHASE];
};
static struct tally tally;

/* Sends one control command and returns the device's ack. */
static uint8_t control_command(int control, uint8_t command, const uint8_t *payload, size_t length) {
    uint8_t message[1024] = {VIRTIO_NET_CTRL_MQ, command};
    memcpy(message + 2, payload, length);
    uint8_t ack = 0xff;
    if (send(control, message, length + 2, 0) != (ssize_t)(length + 2) || recv(control, &ack, 1, 0) != 1) fail("control queue", errno);
    return ack;
}

/* struct virtio_net_rss_config, little-endian, as a driver writes it. */
static uint8_t send_rss(int control, const struct rss_settings *settings, uint16_t max_tx_vq) {
    uint8_t out[512];
    size_t at = 0;
    for (int i = 0; i < 4; i++) out[at++] = (uint8_t)(VNET_RSS_HASH_TYPES_ALL >> (8 * i));
    uint16_t mask = (uint16_t)(settings->table_length - 1);
    out[at++] = (uint8_t)mask, out[at++] = (uint8_t)(mask >> 8);
    out[at++] = (uint8_t)settings->unclassified_queue, out[at++] = (uint8_t)(settings->unclassified_queue >> 8);
    for (uint16_t i = 0; i < settings->table_length; i++) out[at++] = (uint8_t)settings->table[i], out[at++] = (uint8_t)(settings->table[i] >> 8);
    out[at++] = (uint8_t)max_tx_vq, out[at++] = (uint8_t)(max_tx_vq >> 8);
    out[at++] = 40;
    memcpy(out + at, settings->key, 40);
    return control_command(control, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, out, at + 40);
}

static uint8_t send_queue_pairs(int control, uint16_t pairs) {
    const uint8_t payload[2] = {(uint8_t)pairs, (uint8_t)(pairs >> 8)};
    return control_command(control, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, payload, 2);
}

/* Checks one received packet (header and frame, gathered from its chains) on queue `queue`. */
static void check_packet(uint16_t queue, const uint8_t *packet, size_t length, uint16_t buffers) {
    uint8_t phase;
    uint16_t number;
    const uint8_t *frame = packet + HEADER_SIZE;
    size_t frame_length = length < HEADER_SIZE ? 0 : length - HEADER_SIZE;
    if (frame_identify(frame, frame_length, &phase, &number) < 0) {
        tally.foreign++;
        return;
    }
    bool known = phase < 2 && number < FRAMES_PER_PHASE && !tally.seen[phase][number];
    uint8_t sent[FRAME_MAX];
    size_t sent_length = known ? frame_build(sent, phase, number) : 0;
    bool whole = known && sent_length == frame_length && memcmp(sent, frame, frame_length) == 0;
    struct expected want = whole ? frame_expect(sent, sent_length, &phases[phase]) : (struct expected){0};
    uint16_t want_buffers = queues[queue].ring.shape == CHAIN_MERGEABLE ? (uint16_t)((length + MERGEABLE_BUFFER - 1) / MERGEABLE_BUFFER) : 1;
    bool right = whole && queue == want.queue && le32(packet + 12) == want.hash && le16(packet + 16) == want.report
        && le16(packet + 18) == 0 && le16(packet + 10) == want_buffers && buffers == want_buffers;
    if (known) tally.seen[phase][number] = true, tally.arrived[phase]++, tally.per_queue[phase][queue]++;
    if (right) {
        tally.verified++;
        return;
    }
    if (tally.mismatched++ < 5)
        fprintf(stderr, "frame %u of phase %u on queue %u (want %u): %s, hash %08x (want %08x), report %u (want %u), num_buffers %u (want %u)\n",
                number, phase, queue, want.queue, whole ? "whole" : "not as sent", le32(packet + 12), want.hash, le16(packet + 16),
                want.report, le16(packet + 10), want_buffers);
}

/* The guest driver's receive path: every used entry of every queue, its buffers posted again. */
static void read_used_rings(void) {
    for (uint16_t q = 0; q < QUEUES; q++) {
        struct virtqueue *ring = &queues[q].ring;
        struct vring_used_elem element;
        while (virtqueue_next_used(ring, &element)) {
            static uint8_t packet[HEADER_SIZE + FRAME_MAX + MERGEABLE_BUFFER];
            size_t length = virtqueue_gather(ring, (uint16_t)element.id, element.len, packet, sizeof packet);
            virtqueue_repost(ring, (uint16_t)element.id);
            /* Mergeable: the first buffer's num_buffers says how many used entries the frame took. */
            uint16_t buffers = 1;
            if (ring->shape == CHAIN_MERGEABLE && length >= HEADER_SIZE) {
                for (uint16_t wanted = le16(packet + 10); buffers < wanted && virtqueue_next_used(ring, &element); buffers++) {
                    length += virtqueue_gather(ring, (uint16_t)element.id, element.len, packet + length, sizeof packet - length);
                    virtqueue_repost(ring, (uint16_t)element.id);
                }
            }
            check_packet(q, packet, length, buffers);
        }
    }
}

static void sleep_ms(int milliseconds) {
    struct timespec pause = {.tv_sec = 0, .tv_nsec = milliseconds * 1000000L};
    nanosleep(&pause, NULL);
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec / 1e9;
}

/* Reads the used rings until fewer than `in_flight` frames of `phase` are outstanding, or the
 * phase's deadline passed. */
static void drain(int phase, long in_flight, double deadline) {
    while (tally.sent[phase] - tally.arrived[phase] >= in_flight && seconds_now() < deadline) {
        read_used_rings();
        if (tally.sent[phase] - tally.arrived[phase] >= in_flight) sleep_ms(1);
    }
}

/* The phase's frames, at most BURST in flight, in 10 s at most. */
static void send_phase(int packet_socket, uint8_t phase) {
    double deadline = seconds_now() + 10;
    for (uint16_t number = 0; number < FRAMES_PER_PHASE && seconds_now() < deadline; number++) {
        uint8_t frame[FRAME_MAX];
        size_t length = frame_build(frame, phase, number);
        for (int tries = 0; send(packet_socket, frame, length, 0) < 0; tries++) {
            if ((errno != ENOBUFS && errno != EAGAIN) || tries == 1000) fail("send", errno);
            sleep_ms(1);
        }
        tally.sent[phase]++;
        drain(phase, BURST, deadline);
    }
    drain(phase, 1, deadline);
}

int main(void) {
    if (VNET_RSS_ABI_CHECK() != 0) fail("libvnetrss does not match vnet_rss.h", EPROTO);
    for (int i = 0; i < 128; i++) first_table[i] = (uint16_t)(i % QUEUES);
    for (int i = 0; i < 40; i++) second_key[i] = (uint8_t)(i * 37 + 11);
    phases[0] = (struct rss_settings){microsoft_key, first_table, 128, 0};
    phases[1] = (struct rss_settings){second_key, second_table, 8, 2};

    /* The guest's memory and its four receive virtqueues, buffers posted. */
    struct guest_memory memory;
    if (guest_memory_map(&memory, 8u << 20) < 0) fail("mmap", errno);
    const enum chain_shape shapes[QUEUES] = {CHAIN_ONE_BUFFER, CHAIN_HEADER_APART, CHAIN_MERGEABLE, CHAIN_SCATTERED};
    for (int q = 0; q < QUEUES; q++) {
        if (virtqueue_create(&queues[q].ring, &memory, shapes[q]) < 0) fail("guest memory", ENOMEM);
        virtqueue_post_chains(&queues[q].ring);
        if (memory.next_free > memory.size) fail("guest memory", ENOMEM);
    }

    /* The device: the tap (one fd per queue pair), the steering object, the threads. */
    int32_t fds[QUEUES];
    for (int q = 0; q < QUEUES; q++) fds[q] = open_tap_queue();
    int interface = bring_up();
    activate(fds);
    int control_pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control_pair) < 0) fail("socketpair", errno);
    pthread_t control_thread;
    pthread_create(&control_thread, NULL, run_control, &control_pair[1]);
    for (uint16_t q = 0; q < QUEUES; q++) {
        queues[q].index = q;
        queues[q].tap_fd = fds[q];
        atomic_store(&queues[q].enabled, true);
        pthread_create(&queues[q].thread, NULL, run_queue, &queues[q]);
    }

    /* The network: an AF_PACKET socket on the tap. */
    int packet_socket = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (packet_socket < 0) fail("AF_PACKET socket", errno);
    struct sockaddr_ll address = {.sll_family = AF_PACKET, .sll_ifindex = interface};
    if (bind(packet_socket, (struct sockaddr *)&address, sizeof address) < 0) fail("bind", errno);

    /* Phase 0: the guest's first RSS configuration over four queue pairs. */
    int control = control_pair[0];
    bool acks = send_rss(control, &phases[0], QUEUES) == VIRTIO_NET_OK && send_queue_pairs(control, QUEUES) == VIRTIO_NET_OK;
    int steered = vnet_rss_steering_state(steering);
    send_phase(packet_socket, 0);

    /* Phase 1: a configuration the device refuses (the old one stays), then ethtool -L combined 3
     * and a new key and table over the three pairs, unclassified frames to queue 2. */
    struct rss_settings refused = {microsoft_key, refused_table, 4, 0};
    acks = acks && send_rss(control, &refused, QUEUES) == VIRTIO_NET_ERR;
    acks = acks && send_queue_pairs(control, 3) == VIRTIO_NET_OK && send_rss(control, &phases[1], 3) == VIRTIO_NET_OK;
    send_phase(packet_socket, 1);

    atomic_store(&stopping, true);
    for (int q = 0; q < QUEUES; q++) pthread_join(queues[q].thread, NULL);
    vnet_rss_steering_counters counters[QUEUES];
    unsigned long long strays = 0, classified = 0;
    if (vnet_rss_steering_statistics(steering, counters, QUEUES) != QUEUES) fail("vnet_rss_steering_statistics", EINVAL);
    for (int q = 0; q < QUEUES; q++) strays += counters[q].strays, classified += counters[q].frames;
    shutdown(control, SHUT_WR);
    pthread_join(control_thread, NULL);
    vnet_rss_steering_destroy(steering);
    close(control_pair[0]);
    close(control_pair[1]);
    close(packet_socket);
    for (int q = 0; q < QUEUES; q++) close(fds[q]);
    guest_memory_unmap(&memory);

    long sent = 2 * FRAMES_PER_PHASE, refusals = 0; /* what the guest meant to send */
    int sandboxed = 1;
    for (int q = 0; q < QUEUES; q++) refusals += atomic_load(&queues[q].refused), sandboxed &= atomic_load(&queues[q].sandboxed) == 1;
    printf("vmm-example C: %ld frames, %ld verified, %ld mismatched, %llu strays\n", sent, tally.verified, tally.mismatched, strays);
    printf("  steering: %s; queue threads under seccomp (readv, ppoll): %s; control acks as expected: %s\n",
           steered == VNET_RSS_STEERING_PROGRAM ? "program" : "userspace", sandboxed ? "yes" : "no", acks ? "yes" : "no");
    for (int phase = 0; phase < 2; phase++) {
        printf("  phase %d per receive queue:", phase);
        for (int q = 0; q < QUEUES; q++) printf(" %ld", tally.per_queue[phase][q]);
        printf("\n");
    }
    printf("  classified in guest memory: %llu; frames not ours: %ld; refused chains or frames: %ld\n", classified, tally.foreign, refusals);
    bool ok = tally.verified == sent && tally.mismatched == 0 && strays == 0 && refusals == 0 && acks && sandboxed
        && steered == VNET_RSS_STEERING_PROGRAM && tally.foreign == 0 && classified == (unsigned long long)sent;
    return ok ? 0 : 1;
}
