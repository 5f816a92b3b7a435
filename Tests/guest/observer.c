/*
 * The guest's observer for `make test-guest`: which receive queue the guest's own virtio_net
 * driver put each frame on.
 *
 * One AF_PACKET socket per receive queue, all in one PACKET_FANOUT_QM group: the kernel hands a
 * frame to member `skb_get_queue_mapping(skb) % members` (`fanout_demux_qm` in
 * net/packet/af_packet.c), and virtio_net records the receive queue a frame came from as
 * queue_mapping = queue + 1 (`skb_record_rx_queue` in `receive_buf`, drivers/net/virtio_net.c).
 * Members are indexed in the order they joined, so member i sees receive queue
 * (i + members - 1) % members.
 *
 * Each socket reads through a TPACKET_V3 ring with TP_FT_REQ_FILL_RXHASH, so each frame comes with
 * the hash the guest holds for it (`skb_get_hash`): the device's reported hash where virtio_net
 * took an L4 report (`virtio_skb_set_hash`), else one the guest computed itself.
 *
 * The host tags each frame it sends in its source MAC address, which no hash reads:
 * 02:76 and a 32-bit big-endian id. The observer prints "frame ID QUEUE HASH" for each, in batches, on stdout
 * (the serial console), and ends IDLE seconds after the last tagged frame (or after TOTAL seconds
 * when none came) with "observer: done ...". Frames without the trailer (the guest's own, a neighbour
 * solicitation) are counted apart.
 *
 * Usage: observer IFNAME QUEUES IDLE_SECONDS TOTAL_SECONDS
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_QUEUES = 16, BLOCK_SIZE = 1 << 16, BLOCK_COUNT = 8, FRAME_SIZE = 2048, LINE_BUFFER = 8192 };

/* One member's TPACKET_V3 ring. */
struct ring {
    unsigned char *base;
    unsigned block;
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A socket on `ifindex` for every protocol, reading through a TPACKET_V3 ring that carries each
 * frame's hash, in fanout group `group` (PACKET_FANOUT_QM). */
static int open_member(int ifindex, int group, struct ring *ring) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return -1;
    int version = TPACKET_V3;
    struct tpacket_req3 request = {
        .tp_block_size = BLOCK_SIZE,
        .tp_block_nr = BLOCK_COUNT,
        .tp_frame_size = FRAME_SIZE,
        .tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_COUNT,
        .tp_retire_blk_tov = 5,
        .tp_feature_req_word = TP_FT_REQ_FILL_RXHASH,
    };
    struct sockaddr_ll address = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
    int fanout = group | (PACKET_FANOUT_QM << 16);
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) != 0)
        goto failed;
    ring->base = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_COUNT, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ring->block = 0;
    if (ring->base == MAP_FAILED || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) != 0)
        goto failed;
    return fd;
failed:
    close(fd);
    return -1;
}

/* Appends a line for each tagged frame in the ring's ready blocks to `lines` (flushed to stdout
 * when full) and hands the blocks back to the kernel. */
static void drain(struct ring *ring, int queue, char *lines, size_t *used, unsigned long *tagged,
                  unsigned long *untagged) {
    for (;;) {
        struct tpacket_block_desc *block = (void *)(ring->base + (size_t)ring->block * BLOCK_SIZE);
        if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) return;
        struct tpacket3_hdr *packet = (void *)((unsigned char *)block + block->hdr.bh1.offset_to_first_pkt);
        for (unsigned n = 0; n < block->hdr.bh1.num_pkts; n++) {
            const unsigned char *frame = (const unsigned char *)packet + packet->tp_mac;
            unsigned length = packet->tp_snaplen;
            if (length < 12 || frame[6] != 0x02 || frame[7] != 0x76) {
                (*untagged)++;
            } else {
                uint32_t id = (uint32_t)frame[8] << 24 | (uint32_t)frame[9] << 16 | (uint32_t)frame[10] << 8 |
                              (uint32_t)frame[11];
                (*tagged)++;
                if (*used + 48 > LINE_BUFFER) {
                    fwrite(lines, 1, *used, stdout);
                    *used = 0;
                }
                *used += (size_t)snprintf(lines + *used, LINE_BUFFER - *used, "frame %u %d %08x\n", id, queue,
                                          packet->hv1.tp_rxhash);
            }
            packet = (void *)((unsigned char *)packet + packet->tp_next_offset);
        }
        __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        ring->block = (ring->block + 1) % BLOCK_COUNT;
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: observer IFNAME QUEUES IDLE_SECONDS TOTAL_SECONDS\n");
        return 2;
    }
    int ifindex = (int)if_nametoindex(argv[1]);
    int queues = atoi(argv[2]);
    double idle = atof(argv[3]), total = atof(argv[4]);
    if (ifindex == 0 || queues < 1 || queues > MAX_QUEUES || idle <= 0 || total <= 0) {
        fprintf(stderr, "observer: bad arguments (interface %s, %d queues)\n", argv[1], queues);
        return 2;
    }
    struct pollfd members[MAX_QUEUES];
    struct ring rings[MAX_QUEUES];
    int group = (int)(getpid() & 0xffff);
    for (int queue = 0; queue < queues; queue++) {
        members[queue].fd = open_member(ifindex, group, &rings[queue]);
        members[queue].events = POLLIN;
        if (members[queue].fd < 0) {
            fprintf(stderr, "observer: socket for queue %d: %s\n", queue, strerror(errno));
            return 1;
        }
    }
    /* Frames to any address: the host sends to many. */
    struct packet_mreq promiscuous = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(members[0].fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promiscuous, sizeof promiscuous) != 0) {
        fprintf(stderr, "observer: promiscuous mode: %s\n", strerror(errno));
        return 1;
    }
    printf("observer: ready %d queues\n", queues);
    fflush(stdout);

    static char lines[LINE_BUFFER];
    size_t used = 0;
    unsigned long tagged = 0, untagged = 0;
    double start = now(), last = start;
    while (now() - start < total) {
        int ready = poll(members, (nfds_t)queues, 200);
        if (ready < 0 && errno != EINTR) break;
        for (int member = 0; member < queues; member++)
            drain(&rings[member], (member + queues - 1) % queues, lines, &used, &tagged, &untagged);
        if (used > 0) {
            fwrite(lines, 1, used, stdout);
            fflush(stdout);
            used = 0;
            last = now();
        } else if (tagged > 0 && now() - last > idle) {
            break; /* the round's frames are in */
        }
    }
    printf("observer: done %lu tagged %lu untagged\n", tagged, untagged);
    fflush(stdout);
    return 0;
}
