/*
 * c-vmm-backend: a VMM's network backend in the shape QEMU, cloud-hypervisor or Firecracker
 * give it, built on libvnetrss.
 *
 * It opens a multi-queue tap (one fd per queue, IFF_VNET_HDR), hands the fds to a vnet-rss
 * engine with the guest's first RSS configuration, and runs one worker thread per receive
 * queue that waits for frames and takes them with their virtio_net_hdr_v1_hash in front, as it
 * would place them in the guest's receive virtqueue. Midway the "guest" sends a new
 * VIRTIO_NET_CTRL_MQ_RSS_CONFIG command: the bytes of a struct virtio_net_rss_config, which the
 * backend decodes, validates against what the device advertises, and applies while the
 * readers run.
 *
 * As a check, traffic comes from this program too (an AF_PACKET socket on the tap), and every
 * frame's queue, hash_value, hash_report and num_buffers is compared with an independent
 * computation: a bit-by-bit Toeplitz over the frame's own fields. Exit status 0 when every
 * frame arrived once, where it should, with the right header.
 *
 * Run as root in a network namespace of its own: `unshare --net ./c-vmm-backend`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
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

#define QUEUES 4
#define FRAMES_PER_PHASE 2000
#define TAP_NAME "vrssc0"

/* The two configurations the guest asks for: the Microsoft key over all four queues, then a
 * different key and a table that leaves queue 0 out. */
static const uint8_t first_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
static uint8_t second_key[40];
static const uint16_t second_table[8] = {1, 2, 3, 1, 2, 3, 1, 2};

/* What the workers compare against, per phase. */
struct phase {
    const uint8_t *key;
    const uint16_t *table;
    uint16_t table_length;
};
static struct phase phases[2];

static atomic_long received[2];
static atomic_long foreign; /* frames this program did not send (the kernel's own) */
static atomic_long mismatches;
static atomic_long per_queue[QUEUES];
static atomic_bool stopping;
static vnet_rss_engine *engine;

static void fail(const char *what, int code) {
    fprintf(stderr, "c-vmm-backend: %s: %s\n", what, strerror(code < 0 ? -code : code));
    exit(1);
}

/* ---- The independent check ----------------------------------------------------------------- */

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

/* The frames: IPv4 TCP, IPv4 UDP, IPv6 TCP, in turn; the payload's first bytes carry the
 * phase and the frame's number. */
static size_t build_frame(uint8_t *frame, int phase, int number) {
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    memcpy(frame, macs, 12);
    size_t at = 12;
    int kind = number % 3;
    uint8_t protocol = kind == 1 ? 17 : 6;
    if (kind < 2) {
        const uint8_t ipv4[20] = {0x45, 0, 0, 60, 0, 0, 0, 0, 64, protocol, 0, 0, 10, 9, (uint8_t)(number >> 8), (uint8_t)number,
                                  10, 7, 0, 1};
        frame[at++] = 0x08, frame[at++] = 0x00;
        memcpy(frame + at, ipv4, 20);
        at += 20;
    } else {
        frame[at++] = 0x86, frame[at++] = 0xdd;
        const uint8_t ipv6[8] = {0x60, 0, 0, 0, 0, 40, protocol, 64};
        memcpy(frame + at, ipv6, 8);
        at += 8;
        for (int i = 0; i < 16; i++) frame[at++] = i == 0 ? 0xfd : i == 14 ? (uint8_t)(number >> 8) : i == 15 ? (uint8_t)number : 0;
        for (int i = 0; i < 16; i++) frame[at++] = i == 0 ? 0xfd : i == 15 ? 1 : 0;
    }
    uint16_t source_port = (uint16_t)(1024 + number * 7), destination_port = 443;
    frame[at++] = (uint8_t)(source_port >> 8), frame[at++] = (uint8_t)source_port;
    frame[at++] = (uint8_t)(destination_port >> 8), frame[at++] = (uint8_t)destination_port;
    size_t transport = protocol == 6 ? 16 : 4; /* the rest of the TCP or UDP header */
    memset(frame + at, 0, transport);
    at += transport;
    frame[at++] = (uint8_t)phase, frame[at++] = (uint8_t)(number >> 8), frame[at++] = (uint8_t)number;
    memset(frame + at, 0xa5, 13);
    return at + 13;
}

/* Checks one frame as a worker received it on receive queue `queue`. */
static void check(const vnet_rss_frame *got, uint16_t queue) {
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    const uint8_t *packet = got->packet;
    const uint8_t *frame = packet + got->header_size;
    size_t length = got->length - got->header_size;
    if (got->length < got->header_size + 14 || memcmp(frame, macs, 12) != 0) {
        atomic_fetch_add(&foreign, 1);
        return;
    }
    bool ipv4 = frame[12] == 0x08;
    size_t l3 = 14, l4 = ipv4 ? l3 + 20 : l3 + 40;
    uint8_t protocol = ipv4 ? frame[l3 + 9] : frame[l3 + 6];
    size_t payload = l4 + (protocol == 6 ? 20 : 8);
    if (got->header_size != 20 || length < payload + 3) {
        atomic_fetch_add(&mismatches, 1);
        return;
    }
    int phase = frame[payload];
    if (phase > 1) {
        atomic_fetch_add(&mismatches, 1);
        return;
    }
    uint8_t tuple[36];
    size_t width = ipv4 ? 4 : 16;
    memcpy(tuple, frame + l3 + (ipv4 ? 12 : 8), 2 * width);
    memcpy(tuple + 2 * width, frame + l4, 4);
    uint32_t hash = toeplitz(phases[phase].key, tuple, 2 * width + 4);
    uint16_t report = ipv4 ? (protocol == 6 ? VIRTIO_NET_HASH_REPORT_TCPv4 : VIRTIO_NET_HASH_REPORT_UDPv4) : VIRTIO_NET_HASH_REPORT_TCPv6;
    uint16_t expected_queue = phases[phase].table[hash & (phases[phase].table_length - 1u)] % QUEUES;

    struct virtio_net_hdr_v1_hash header;
    memcpy(&header, packet, sizeof header);
    bool right = queue == expected_queue && got->queue == expected_queue && got->hash == hash && got->report == report
        && header.hdr.num_buffers == 1 && header.hash_value == hash && header.hash_report == report && header.padding == 0;
    if (!right) {
        if (atomic_fetch_add(&mismatches, 1) < 5) {
            fprintf(stderr, "frame %d of phase %d: queue %u (want %u), hash %08x/%08x (want %08x), report %u/%u (want %u)\n",
                    frame[payload + 1] << 8 | frame[payload + 2], phase, queue, expected_queue, got->hash, header.hash_value,
                    hash, got->report, header.hash_report, report);
        }
    }
    atomic_fetch_add(&received[phase], 1);
    atomic_fetch_add(&per_queue[queue], 1);
}

/* ---- The backend ---------------------------------------------------------------------------- */

struct worker {
    uint16_t queue;
    pthread_t thread;
};

static void on_frame(const vnet_rss_frame *frame, void *context) {
    check(frame, ((struct worker *)context)->queue);
}

/* One receive queue's worker: wait, then take what is there. Queue 0 copies frames into its own
 * buffers (vnet_rss_engine_receive_into), the others take them in place through a callback. */
static void *run_worker(void *argument) {
    struct worker *worker = argument;
    static _Thread_local uint8_t buffers[16][2048];
    vnet_rss_frame frames[16];
    while (!atomic_load(&stopping)) {
        int ready = vnet_rss_engine_wait(engine, worker->queue, 10);
        if (ready < 0) fail("vnet_rss_engine_wait", ready);
        int got;
        do {
            if (worker->queue == 0) {
                got = vnet_rss_engine_receive_into(engine, 0, &buffers[0][0], sizeof buffers[0], 16, frames);
                for (int i = 0; i < got; i++) check(&frames[i], 0);
            } else {
                got = vnet_rss_engine_receive(engine, worker->queue, 64, on_frame, worker);
            }
            if (got < 0) fail("vnet_rss_engine_receive", got);
        } while (got > 0);
    }
    return NULL;
}

static int open_tap_queue(void) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) fail("open /dev/net/tun", errno);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
    strncpy(request.ifr_name, TAP_NAME, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) fail("TUNSETIFF", errno);
    return fd;
}

/* No IPv6 on the tap, so the kernel sends no solicitations of its own into it. */
static void disable_ipv6(void) {
    FILE *setting = fopen("/proc/sys/net/ipv6/conf/" TAP_NAME "/disable_ipv6", "w");
    if (!setting) return;
    fputs("1", setting);
    fclose(setting);
}

static int interface_index(void) {
    int socket_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, TAP_NAME, IFNAMSIZ - 1);
    if (ioctl(socket_fd, SIOCGIFINDEX, &request) < 0) fail("SIOCGIFINDEX", errno);
    close(socket_fd);
    return request.ifr_ifindex;
}

static void set_link_up(void) {
    int socket_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, TAP_NAME, IFNAMSIZ - 1);
    if (ioctl(socket_fd, SIOCGIFFLAGS, &request) < 0) fail("SIOCGIFFLAGS", errno);
    request.ifr_flags |= IFF_UP;
    if (ioctl(socket_fd, SIOCSIFFLAGS, &request) < 0) fail("SIOCSIFFLAGS", errno);
    close(socket_fd);
}

/* The guest's VIRTIO_NET_CTRL_MQ_RSS_CONFIG payload, little-endian, as a driver writes it. */
static size_t rss_command(uint8_t *out, uint32_t hash_types, const uint16_t *table, uint16_t entries, const uint8_t *key,
                          uint8_t key_length) {
    size_t at = 0;
    for (int i = 0; i < 4; i++) out[at++] = (uint8_t)(hash_types >> (8 * i));
    out[at++] = (uint8_t)(entries - 1), out[at++] = (uint8_t)((entries - 1) >> 8); /* indirection_table_mask */
    out[at++] = 0, out[at++] = 0;                                                   /* unclassified_queue */
    for (uint16_t i = 0; i < entries; i++) out[at++] = (uint8_t)table[i], out[at++] = (uint8_t)(table[i] >> 8);
    out[at++] = QUEUES, out[at++] = 0; /* max_tx_vq */
    out[at++] = key_length;
    memcpy(out + at, key, key_length);
    return at + key_length;
}

static void send_phase(int packet_socket, int phase) {
    for (int number = 0; number < FRAMES_PER_PHASE; number++) {
        uint8_t frame[128];
        size_t length = build_frame(frame, phase, number);
        while (send(packet_socket, frame, length, 0) < 0) {
            if (errno != ENOBUFS && errno != EAGAIN) fail("send", errno);
            usleep(100);
        }
    }
}

static bool wait_for(int phase) {
    for (int i = 0; i < 1000 && atomic_load(&received[phase]) < FRAMES_PER_PHASE; i++) usleep(10000);
    return atomic_load(&received[phase]) == FRAMES_PER_PHASE;
}

int main(void) {
    if (VNET_RSS_ABI_CHECK() != 0) fail("libvnetrss does not match vnet_rss.h", EPROTO);
    for (int i = 0; i < 40; i++) second_key[i] = (uint8_t)(i * 37 + 11);

    /* The tap, as a VMM opens it: one fd per queue. */
    int32_t fds[QUEUES];
    for (int i = 0; i < QUEUES; i++) fds[i] = open_tap_queue();
    disable_ipv6();
    set_link_up();

    /* What the device advertises, and the guest's first configuration (all types, spread). */
    vnet_rss_device_limits limits = {.queue_pairs = QUEUES, .max_indirection_table_length = 128, .max_key_size = 40,
                                     .supported_hash_types = VNET_RSS_HASH_TYPES_ALL};
    static uint16_t first_table[128];
    for (int i = 0; i < 128; i++) first_table[i] = (uint16_t)(i % QUEUES);
    vnet_rss_fields fields = {.features = VNET_RSS_FEATURE_RSS | VNET_RSS_FEATURE_HASH_REPORT, .hash_types = VNET_RSS_HASH_TYPES_ALL,
                              .max_tx_vq = QUEUES, .indirection_table_length = 128, .key_length = 40};
    vnet_rss_error error;
    vnet_rss_config *config;
    int result = vnet_rss_config_create(&fields, first_table, first_key, &config, &error);
    if (result < 0) fail(error.message, result);
    if ((result = vnet_rss_config_validate(config, VNET_RSS_POLICY_VIRTIO, &limits, &error)) < 0) fail(error.message, result);
    phases[0] = (struct phase){first_key, first_table, 128};
    phases[1] = (struct phase){second_key, second_table, 8};

    if ((result = vnet_rss_engine_create(fds, QUEUES, config, NULL, &engine, &error)) < 0) fail("vnet_rss_engine_create", result);
    vnet_rss_config_free(config);
    char reason[160];
    int steering = vnet_rss_engine_steering(engine, reason, sizeof reason);
    printf("steering: %s (%s)\n", steering == VNET_RSS_STEERING_PROGRAM ? "program" : steering == VNET_RSS_STEERING_KERNEL ? "kernel" : "userspace", reason);
    if ((result = vnet_rss_engine_start(engine)) < 0) fail("vnet_rss_engine_start", result);
    struct worker workers[QUEUES];
    for (uint16_t q = 0; q < QUEUES; q++) {
        workers[q].queue = q;
        pthread_create(&workers[q].thread, NULL, run_worker, &workers[q]);
    }

    /* The traffic: an AF_PACKET socket on the tap. */
    int packet_socket = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (packet_socket < 0) fail("AF_PACKET socket", errno);
    struct sockaddr_ll address = {.sll_family = AF_PACKET, .sll_ifindex = interface_index()};
    if (bind(packet_socket, (struct sockaddr *)&address, sizeof address) < 0) fail("bind", errno);

    send_phase(packet_socket, 0);
    bool first_complete = wait_for(0);

    /* The guest's second RSS command, mid-run: decode, validate, add the negotiated hash
     * reporting (the command carries RSS only), apply. */
    uint8_t command[512];
    size_t length = rss_command(command, VNET_RSS_HASH_TYPES_ALL, second_table, 8, second_key, 40);
    vnet_rss_config *decoded, *update;
    if ((result = vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_VIRTIO, command, length, &decoded, &error)) < 0)
        fail(error.message, result);
    if ((result = vnet_rss_config_validate(decoded, VNET_RSS_POLICY_VIRTIO, &limits, &error)) < 0) fail(error.message, result);
    if ((result = vnet_rss_config_with_features(decoded, VNET_RSS_FEATURE_RSS | VNET_RSS_FEATURE_HASH_REPORT, &update)) < 0)
        fail("vnet_rss_config_with_features", result);
    if ((result = vnet_rss_engine_apply(engine, update, &error)) < 0) fail("vnet_rss_engine_apply", result);
    vnet_rss_config_free(decoded);
    vnet_rss_config_free(update);

    send_phase(packet_socket, 1);
    bool second_complete = wait_for(1);

    atomic_store(&stopping, true);
    for (int q = 0; q < QUEUES; q++) pthread_join(workers[q].thread, NULL);
    vnet_rss_statistics totals;
    uint64_t delivered[QUEUES], dropped[QUEUES];
    if ((result = vnet_rss_engine_statistics(engine, &totals, delivered, dropped, QUEUES)) < 0) fail("statistics", result);
    vnet_rss_engine_destroy(engine);
    close(packet_socket);
    for (int i = 0; i < QUEUES; i++) close(fds[i]);

    long checked = atomic_load(&received[0]) + atomic_load(&received[1]);
    printf("c-vmm-backend: %d queues, %ld frames checked (%ld before the guest's new RSS command, %ld after), %ld mismatched,"
           " %ld not ours\n", QUEUES, checked, atomic_load(&received[0]), atomic_load(&received[1]), atomic_load(&mismatches),
           atomic_load(&foreign));
    printf("  per receive queue:");
    for (int q = 0; q < QUEUES; q++) printf(" %ld", atomic_load(&per_queue[q]));
    printf("\n  engine: %llu read, %llu delivered, %llu dropped\n", (unsigned long long)totals.frames_read,
           (unsigned long long)totals.frames_delivered, (unsigned long long)totals.frames_dropped);
    bool ok = first_complete && second_complete && atomic_load(&mismatches) == 0 && totals.frames_dropped == 0
        && totals.frames_delivered == (uint64_t)(checked + atomic_load(&foreign));
    return ok ? 0 : 1;
}
