/*
 * vnet_rss.h: the C ABI of vnet-rss (libvnetrss), userspace receive-side scaling and
 * virtio_net_hdr_v1_hash reports for virtio-net on a plain multi-queue tap.
 *
 * Hand-maintained; `make abi-check` compiles the Swift module's generated header together with
 * this one (a prototype that differs is a conflicting declaration) and compares the function
 * lists. Link with `pkg-config --cflags --libs vnetrss`.
 *
 * Conventions, for every function:
 *   - integers are fixed-width; sizes are size_t;
 *   - a function that can fail returns 0 (or a count) on success and a negative errno on
 *     failure, and never traps on bad input: NULL where a pointer is needed, a short buffer,
 *     an out-of-range queue or an invalid blob give -EINVAL, -ENOSPC, -ERANGE or the errno of
 *     the system call that failed;
 *   - where a vnet_rss_error out-parameter is given (it may be NULL), a refused configuration
 *     fills it with the rule, the field, the value and the limit;
 *   - handles are opaque and owned by the caller until passed to their _free/_destroy function;
 *     the library keeps no pointer into caller memory after a call returns, except the tap
 *     fds an engine reads (which stay the caller's to close, after the engine is destroyed).
 *
 * Thread safety is stated per function. "Any thread" means concurrent calls are safe, also
 * on the same handle; "one thread at a time" means the caller serialises calls on that handle.
 */
#ifndef VNET_RSS_H
#define VNET_RSS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. vnet_rss_abi_version() answers the library's. */
#define VNET_RSS_ABI_VERSION 1u

/* ---- Constants ------------------------------------------------------------------------- */

/* Wire formats of a configuration. */
#define VNET_RSS_FORMAT_TUN_VNET_HASH 0u /* TUNSETVNETHASH compound of the kernel series v5-v11 */
#define VNET_RSS_FORMAT_TUN_VNET_RSS 1u  /* the v12 split layout (TUNSETVNETRSS) */
#define VNET_RSS_FORMAT_VIRTIO_RSS 2u    /* struct virtio_net_rss_config (VIRTIO_NET_CTRL_MQ_RSS_CONFIG) */
#define VNET_RSS_FORMAT_VIRTIO_HASH 3u   /* struct virtio_net_hash_config (VIRTIO_NET_CTRL_MQ_HASH_CONFIG) */

/* Validation policies. */
#define VNET_RSS_POLICY_KERNEL 0u /* the kernel series' leniency */
#define VNET_RSS_POLICY_VIRTIO 1u /* the device rules for an untrusted guest, with vnet_rss_device_limits */

/* Features (struct tun_vnet_hash.flags). */
#define VNET_RSS_FEATURE_HASH_REPORT 0x1u
#define VNET_RSS_FEATURE_RSS 0x2u

/* Hash types: the VIRTIO_NET_RSS_HASH_TYPE_* bits; the report values are VIRTIO_NET_HASH_REPORT_*. */
#define VNET_RSS_HASH_TYPES_ALL 0x1FFu

/* When the _EX hash types apply. */
#define VNET_RSS_EX_RULE_SPEC 0u /* only to IPv6 packets with extension headers (the virtio spec) */
#define VNET_RSS_EX_RULE_QEMU 1u /* QEMU's order: each transport's _EX type first */

/* Readers of an engine. */
#define VNET_RSS_READER_READ 0u         /* epoll + non-blocking read() */
#define VNET_RSS_READER_URING 1u        /* io_uring multishot read (Linux 6.7+), else single-shot */
#define VNET_RSS_READER_URING_SINGLE 2u /* io_uring single-shot reads */

/* Who steers frames to their receive queue's tap queue (vnet_rss_engine_create_steered,
 * vnet_rss_engine_steering). */
#define VNET_RSS_STEERING_AUTOMATIC 0u /* the kernel series' RSS, else the steering program, else userspace */
#define VNET_RSS_STEERING_USERSPACE 1u /* readers hand frames to their receive queue's consumer */
#define VNET_RSS_STEERING_PROGRAM 2u   /* the steering eBPF program (TUNSETSTEERINGEBPF) queues each frame on
                                         * its receive queue's tap queue; that queue's reader reports */
#define VNET_RSS_STEERING_KERNEL 3u    /* the kernel series' TUNSETVNETHASH */
/* A steering program's descriptors, in this order: the program, the switch, slot 0, slot 1. */
#define VNET_RSS_STEERING_PROGRAM_FDS 4u

/* The rule a refused configuration broke (vnet_rss_error.rule). */
#define VNET_RSS_RULE_NONE 0u
#define VNET_RSS_RULE_TRUNCATED 1u         /* value: the blob's length; limit: the length needed */
#define VNET_RSS_RULE_TRAILING_BYTES 2u    /* value: the blob's length; limit: the exact length */
#define VNET_RSS_RULE_RESERVED_NOT_ZERO 3u /* limit: 0 */
#define VNET_RSS_RULE_NOT_POWER_OF_TWO 4u  /* value: indirection_table_mask + 1 */
#define VNET_RSS_RULE_ABOVE_MAXIMUM 5u     /* limit: the largest value allowed */
#define VNET_RSS_RULE_BELOW_MINIMUM 6u     /* limit: the smallest value allowed */
#define VNET_RSS_RULE_UNSUPPORTED_BITS 7u  /* limit: the supported mask */

/* Structures whose sizes vnet_rss_sizeof() reports, for VNET_RSS_ABI_CHECK(). */
#define VNET_RSS_TYPE_ERROR 0u
#define VNET_RSS_TYPE_DEVICE_LIMITS 1u
#define VNET_RSS_TYPE_FIELDS 2u
#define VNET_RSS_TYPE_DECISION 3u
#define VNET_RSS_TYPE_PACKET 4u
#define VNET_RSS_TYPE_FRAME 5u
#define VNET_RSS_TYPE_ENGINE_OPTIONS 6u
#define VNET_RSS_TYPE_STATISTICS 7u
#define VNET_RSS_TYPE_CAPABILITY 8u
#define VNET_RSS_TYPE_GUEST_DECISION 9u
#define VNET_RSS_TYPE_GUEST_FRAME 10u
#define VNET_RSS_TYPE_STEERING_COUNTERS 11u

/* Where the hash fields of a virtio_net_hdr_v1_hash lie and how many bytes they are
 * (vnet_rss_guest_decision.fields). */
#define VNET_RSS_HASH_FIELDS_OFFSET 12u
#define VNET_RSS_HASH_FIELDS_SIZE 8u

/* ---- Types ------------------------------------------------------------------------------ */

/* Handles. Opaque: never dereference one; the single member is not part of the ABI. They are
 * complete types only so that the Swift implementation, which cannot name an incomplete C
 * type, declares the same prototypes (`make abi-check` compiles both declarations together). */
typedef struct vnet_rss_config { uint8_t opaque_; } vnet_rss_config;             /* an immutable configuration */
typedef struct vnet_rss_classifier { uint8_t opaque_; } vnet_rss_classifier;     /* prepared for the datapath */
typedef struct vnet_rss_batch { uint8_t opaque_; } vnet_rss_batch;               /* a batch workspace, one per thread */
typedef struct vnet_rss_engine { uint8_t opaque_; } vnet_rss_engine;             /* readers over a multi-queue tap */
typedef struct vnet_rss_steering { uint8_t opaque_; } vnet_rss_steering;         /* kernel steering over a VMM's own tap fds */

/* Why a configuration was refused. */
typedef struct vnet_rss_error {
    uint32_t rule;       /* VNET_RSS_RULE_* */
    uint32_t virtio_ack; /* what the control queue answers: VIRTIO_NET_ERR (1) */
    int32_t kernel_errno; /* what TUNSETVNETHASH would give: EFAULT (truncated) or EINVAL */
    uint32_t reserved;
    uint64_t value;      /* the field's value */
    uint64_t limit;      /* the limit it broke (see the rule) */
    char field[40];      /* the field, C spelling: "indirection_table[3]" (NUL-terminated) */
    char message[200];   /* the whole sentence (NUL-terminated, cut to fit) */
} vnet_rss_error;

/* What a virtio-net device advertises (struct virtio_net_config's RSS fields), for the
 * virtio policy. */
typedef struct vnet_rss_device_limits {
    uint16_t queue_pairs;                   /* table entries and queues must lie below it */
    uint16_t reserved;
    uint32_t max_indirection_table_length;  /* rss_max_indirection_table_length (QEMU: 128) */
    uint32_t max_key_size;                  /* rss_max_key_size (QEMU: 40) */
    uint32_t supported_hash_types;          /* supported_hash_types */
} vnet_rss_device_limits;

/* A configuration's scalar fields; its table and key travel beside it. */
typedef struct vnet_rss_fields {
    uint32_t features;                 /* VNET_RSS_FEATURE_* */
    uint32_t hash_types;               /* VIRTIO_NET_RSS_HASH_TYPE_* bits */
    uint16_t unclassified_queue;
    uint16_t max_tx_vq;
    uint32_t indirection_table_length; /* entries (indirection_table_mask + 1), up to 65,536 */
    uint32_t key_length;               /* bytes */
    uint32_t reserved;
} vnet_rss_fields;

/* The decision for one frame. */
typedef struct vnet_rss_decision {
    uint32_t hash;   /* hash_value; 0 when unclassified */
    uint16_t report; /* hash_report (VIRTIO_NET_HASH_REPORT_*); 0 when unclassified */
    uint16_t queue;  /* the receive queue */
} vnet_rss_decision;

/* One packet of a batch: the tap's vnet header, then the frame. */
typedef struct vnet_rss_packet {
    uint8_t *data;
    size_t length;
    uint16_t arrival_queue; /* the queue it arrived on (kept when RSS is off) */
    uint16_t reserved[3];
} vnet_rss_packet;

/* A frame an engine hands over: its header (num_buffers and the hash fields written) and the
 * frame. `packet` is valid during the handler call that receives it, or, from
 * vnet_rss_engine_receive_into(), points into the caller's buffer. */
typedef struct vnet_rss_frame {
    const uint8_t *packet;
    uint32_t length;      /* header and frame */
    uint32_t header_size; /* the vnet header in front of the frame */
    uint32_t hash;
    uint16_t report;
    uint16_t tap_queue;   /* the tap queue it was read on */
    uint16_t queue;       /* the receive queue it was steered to */
    uint16_t reserved[3];
} vnet_rss_frame;

/* Called with each frame; must not call back into the engine that calls it. */
typedef void (*vnet_rss_frame_handler)(const vnet_rss_frame *frame, void *context);

/* How an engine runs; zero fields take the defaults shown. */
typedef struct vnet_rss_engine_options {
    uint32_t reader;                 /* VNET_RSS_READER_* (READ) */
    uint32_t receive_queues;         /* receive queues steered to (as many as tap fds), at most 64 */
    uint32_t buffers_per_queue;      /* receive buffers per tap queue (512) */
    uint32_t buffer_size;            /* bytes per buffer, header included (2,048) */
    uint32_t ring_capacity;          /* slots per reader-to-queue ring (256) */
    uint32_t extension_header_rule;  /* VNET_RSS_EX_RULE_* (SPEC) */
    /* Inline delivery: when set, reader threads call it with every frame as soon as its batch
     * is decided (concurrently from several readers; it must be thread-safe), and the
     * receive functions hand nothing. NULL: frames wait in rings for the receive functions. */
    vnet_rss_frame_handler inline_handler;
    void *inline_context;
} vnet_rss_engine_options;

/* An engine's counters. Frames read = frames delivered + frames dropped. */
typedef struct vnet_rss_statistics {
    uint64_t frames_read;
    uint64_t bytes_read;
    uint64_t frames_delivered;
    uint64_t frames_dropped;      /* a receive queue's ring was full */
    uint64_t frames_unclassified; /* hash report NONE */
    uint64_t frames_redirected;   /* steered away from the tap queue they arrived on */
} vnet_rss_statistics;

/* What a kernel with the series offers (TUNGETVNETHASHCAP). */
typedef struct vnet_rss_capability {
    uint32_t features;   /* VNET_RSS_FEATURE_* */
    uint32_t hash_types; /* VIRTIO_NET_RSS_HASH_TYPE_* bits */
} vnet_rss_capability;

/* A frame a VMM's readv() put in guest memory: the iovec array it gave readv and the byte
 * count readv returned (the vnet header, then the frame; split anywhere). */
typedef struct vnet_rss_guest_frame {
    const struct iovec *iov;
    uint32_t iovcnt;   /* at most IOV_MAX (1,024) */
    uint32_t reserved; /* 0 */
    size_t length;     /* what readv returned */
} vnet_rss_guest_frame;

/* The decision for a frame in guest memory. */
typedef struct vnet_rss_guest_decision {
    uint32_t hash;          /* hash_value; 0 when unclassified */
    uint16_t report;        /* hash_report (VIRTIO_NET_HASH_REPORT_*) */
    uint16_t queue;         /* the receive queue the configuration names */
    uint8_t stray;          /* 1: RSS names another queue than the arrival queue (deliver it where it
                             * arrived: it cannot move without a copy; counted) */
    uint8_t fields_valid;   /* 1: the header has hash fields (20 bytes) and the frame holds it whole */
    uint16_t fields_offset; /* VNET_RSS_HASH_FIELDS_OFFSET: where `fields` go, from the chain's first byte */
    uint8_t fields[8];      /* hash_value (le32), hash_report (le16), padding (0): written in place by
                             * the classify functions, left to the caller by vnet_rss_steering_decide_iov */
} vnet_rss_guest_decision;

/* A steering object's counters for one tap queue. */
typedef struct vnet_rss_steering_counters {
    uint64_t frames;       /* classified or decided on this arrival queue */
    uint64_t strays;       /* of them, frames RSS names another queue for */
    uint64_t unclassified; /* of them, hash report NONE */
} vnet_rss_steering_counters;

/* ---- Versions --------------------------------------------------------------------------- */

/* The library's ABI version. Any thread. */
uint32_t vnet_rss_abi_version(void);

/* The size the library has for structure `type` (VNET_RSS_TYPE_*), 0 for an unknown type.
 * Any thread. */
size_t vnet_rss_sizeof(uint32_t type);

/* 0 when the library matches this header (version and every structure size), else -EPROTO. */
#define VNET_RSS_ABI_CHECK()                                                                    \
    ((vnet_rss_abi_version() == VNET_RSS_ABI_VERSION                                           \
      && vnet_rss_sizeof(VNET_RSS_TYPE_ERROR) == sizeof(vnet_rss_error)                        \
      && vnet_rss_sizeof(VNET_RSS_TYPE_DEVICE_LIMITS) == sizeof(vnet_rss_device_limits)        \
      && vnet_rss_sizeof(VNET_RSS_TYPE_FIELDS) == sizeof(vnet_rss_fields)                      \
      && vnet_rss_sizeof(VNET_RSS_TYPE_DECISION) == sizeof(vnet_rss_decision)                  \
      && vnet_rss_sizeof(VNET_RSS_TYPE_PACKET) == sizeof(vnet_rss_packet)                      \
      && vnet_rss_sizeof(VNET_RSS_TYPE_FRAME) == sizeof(vnet_rss_frame)                        \
      && vnet_rss_sizeof(VNET_RSS_TYPE_ENGINE_OPTIONS) == sizeof(vnet_rss_engine_options)      \
      && vnet_rss_sizeof(VNET_RSS_TYPE_STATISTICS) == sizeof(vnet_rss_statistics)              \
      && vnet_rss_sizeof(VNET_RSS_TYPE_CAPABILITY) == sizeof(vnet_rss_capability)              \
      && vnet_rss_sizeof(VNET_RSS_TYPE_GUEST_DECISION) == sizeof(vnet_rss_guest_decision)      \
      && vnet_rss_sizeof(VNET_RSS_TYPE_GUEST_FRAME) == sizeof(vnet_rss_guest_frame)            \
      && vnet_rss_sizeof(VNET_RSS_TYPE_STEERING_COUNTERS) == sizeof(vnet_rss_steering_counters)) \
         ? 0 : -71 /* EPROTO */)

/* ---- Configurations --------------------------------------------------------------------- */

/* Decodes `length` bytes in `format` (VNET_RSS_FORMAT_*). Under VNET_RSS_POLICY_VIRTIO reserved
 * fields must be zero and the blob must end with its last field; the kernel policy ignores
 * both. Does not validate (see vnet_rss_config_validate). -EINVAL (error filled) for a blob
 * that does not decode. Any thread. */
int vnet_rss_config_decode(uint32_t format, uint32_t policy, const uint8_t *bytes, size_t length,
                           vnet_rss_config **out, vnet_rss_error *error);

/* A configuration from fields, `fields->indirection_table_length` entries at `table` and
 * `fields->key_length` bytes at `key` (either may be NULL when its length is 0). Any thread. */
int vnet_rss_config_create(const vnet_rss_fields *fields, const uint16_t *table, const uint8_t *key,
                           vnet_rss_config **out, vnet_rss_error *error);

/* Holds `config` to `policy`; `limits` is required for VNET_RSS_POLICY_VIRTIO. 0 when valid,
 * -EINVAL with `error` filled when not. Any thread. */
int vnet_rss_config_validate(const vnet_rss_config *config, uint32_t policy, const vnet_rss_device_limits *limits,
                             vnet_rss_error *error);

/* Encodes `config` in `format` into `buffer`; `*length` receives the size needed, also when
 * `capacity` is too small (-ENOSPC, nothing written). Any thread. */
int vnet_rss_config_encode(const vnet_rss_config *config, uint32_t format, uint8_t *buffer, size_t capacity,
                           size_t *length, vnet_rss_error *error);

/* Reads `config` back: the fields, and the table and key into `table` (`table_capacity`
 * entries) and `key` (`key_capacity` bytes) where given. -ENOSPC when either is too small
 * (the fields are filled anyway, so the caller learns the sizes). Any thread. */
int vnet_rss_config_fields(const vnet_rss_config *config, vnet_rss_fields *fields, uint16_t *table,
                           size_t table_capacity, uint8_t *key, size_t key_capacity);

/* A copy of `config` with `features` (VNET_RSS_FEATURE_*) instead of its own: the features a
 * format does not carry come from the virtio features the guest negotiated. A decoded
 * virtio_net_rss_config has RSS only; with VIRTIO_NET_F_HASH_REPORT negotiated, add
 * VNET_RSS_FEATURE_HASH_REPORT here. Any thread. */
int vnet_rss_config_with_features(const vnet_rss_config *config, uint32_t features, vnet_rss_config **out);

/* Frees a configuration (NULL is ignored). Engines and classifiers made from it keep their own
 * copy. One thread, once. */
void vnet_rss_config_free(vnet_rss_config *config);

/* ---- Kernel capability ------------------------------------------------------------------ */

/* Asks the tap behind `tap_fd` (attached) what RSS it does itself (TUNGETVNETHASHCAP). 0 and
 * `capability` filled where the kernel has the series; the ioctl's -errno (EINVAL or ENOTTY
 * on kernels without it), or -EPROTO for an answer that is not a capability. Any thread. */
int vnet_rss_kernel_capability(int32_t tap_fd, vnet_rss_capability *capability);

/* ---- Toeplitz --------------------------------------------------------------------------- */

/* The Toeplitz hash of `input_length` bytes (at most 36, and at most key_length - 4) under
 * `key`. Prepares the key on every call: for tools and tests; classifiers prepare once.
 * Any thread. */
int vnet_rss_toeplitz(const uint8_t *key, size_t key_length, const uint8_t *input, size_t input_length,
                      uint32_t *hash);

/* ---- Classifiers ------------------------------------------------------------------------ */

/* Prepares `config` for `queue_count` receive queues (Toeplitz key and the indirection table
 * reduced modulo the queues). -EINVAL (error filled) for a configuration every policy refuses.
 * Any thread. */
int vnet_rss_classifier_create(const vnet_rss_config *config, uint16_t queue_count, uint32_t extension_header_rule,
                               vnet_rss_classifier **out, vnet_rss_error *error);

/* Frees a classifier (NULL is ignored). One thread, once, after every use ended. */
void vnet_rss_classifier_free(vnet_rss_classifier *classifier);

/* Decides the frame after the `header_size`-byte vnet header in `packet` (`length` bytes in
 * all) and writes num_buffers (1), hash_value and hash_report into that header (the tap's own
 * fields are kept; nothing at or past header_size is written). A packet shorter than its
 * header is decided as an empty frame and left alone. No allocation, no lock, no system call.
 * Any thread (the classifier is immutable). */
int vnet_rss_classify(const vnet_rss_classifier *classifier, uint8_t *packet, size_t length, size_t header_size,
                      uint16_t arrival_queue, vnet_rss_decision *decision);

/* A batch workspace for up to `capacity` packets per pass. Allocated once; one per thread. */
int vnet_rss_batch_create(size_t capacity, vnet_rss_batch **out);

/* Frees a batch workspace (NULL is ignored). */
void vnet_rss_batch_free(vnet_rss_batch *batch);

/* Decides `count` packets as vnet_rss_classify would, two at a time (hashed together in one
 * GFNI pass where the CPU has it), `batch->capacity` per pass, writing each header and
 * `decisions[i]`. No allocation. One thread at a time per batch; any thread per classifier. */
int vnet_rss_classify_batch(const vnet_rss_classifier *classifier, vnet_rss_batch *batch, const vnet_rss_packet *packets,
                            size_t count, size_t header_size, vnet_rss_decision *decisions);

/* ---- Engines ---------------------------------------------------------------------------- */

/* An engine over the tap queues behind `tap_fds` (multi-queue tap fds opened with
 * IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR, one per queue, in queue order; no
 * CAP_NET_ADMIN needed). Makes them non-blocking and sets a 20-byte vnet header. `options`
 * may be NULL for the defaults. Readers start with vnet_rss_engine_start. One thread at a time
 * (the control thread) for every engine function below except the receive functions and
 * vnet_rss_engine_wait (one consumer thread per receive queue) and vnet_rss_engine_statistics
 * (any thread). */
int vnet_rss_engine_create(const int32_t *tap_fds, size_t fd_count, const vnet_rss_config *config,
                           const vnet_rss_engine_options *options, vnet_rss_engine **out, vnet_rss_error *error);

/* vnet_rss_engine_create (which steers as VNET_RSS_STEERING_AUTOMATIC) with the steering asked
 * for: VNET_RSS_STEERING_*. `program_fds`, when not NULL, holds the VNET_RSS_STEERING_PROGRAM_FDS
 * descriptors of a steering program another process loaded (vnet_rss_steering_program_load);
 * the engine keeps duplicates, the caller keeps its own. With them no BPF privilege is needed on
 * Linux 6.5 and later: only map updates and TUNSETSTEERINGEBPF (earlier kernels with
 * kernel.unprivileged_bpf_disabled set refuse every BPF command without it: -EPERM). Fails with the errno of the refusal when the mode
 * asked for cannot be had (-EPERM: no privilege to load the program; -EOPNOTSUPP: the kernel
 * has no TUNSETVNETHASH that covers the configuration); AUTOMATIC falls back instead, and
 * vnet_rss_engine_steering says why. The engine attaches the program when it starts and
 * detaches it when it stops. */
int vnet_rss_engine_create_steered(const int32_t *tap_fds, size_t fd_count, const vnet_rss_config *config,
                                   const vnet_rss_engine_options *options, uint32_t steering, const int32_t *program_fds,
                                   vnet_rss_engine **out, vnet_rss_error *error);

/* Who steers now (VNET_RSS_STEERING_USERSPACE, _PROGRAM or _KERNEL), or -EINVAL for NULL; when
 * `reason` is given, why, in words, NUL-terminated and cut to `reason_capacity` bytes. Any
 * thread. */
int vnet_rss_engine_steering(const vnet_rss_engine *engine, char *reason, size_t reason_capacity);

/* Loads the steering program (needs CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON, which the
 * verifier wants for the program's pointer arithmetic) and writes its
 * VNET_RSS_STEERING_PROGRAM_FDS descriptors to `fds` (close-on-exec, the caller's to close):
 * what a privileged manager hands to an unprivileged VMM, as QEMU's ebpf-rss-fds. -EPERM
 * without the privilege. Any thread. */
int vnet_rss_steering_program_load(int32_t *fds);

/* Starts one reader thread per tap queue. */
int vnet_rss_engine_start(vnet_rss_engine *engine);

/* Stops and joins the readers; frames already handed over stay receivable. */
int vnet_rss_engine_stop(vnet_rss_engine *engine);

/* Stops the readers and frees the engine (NULL is ignored). The tap fds stay open. */
void vnet_rss_engine_destroy(vnet_rss_engine *engine);

/* Calls `handler` with up to `limit` frames waiting for receive queue `queue`, oldest first per
 * tap queue; returns how many, or -ERANGE for a queue past the engine's. */
int vnet_rss_engine_receive(vnet_rss_engine *engine, uint16_t queue, size_t limit, vnet_rss_frame_handler handler,
                            void *context);

/* Copies up to `count` frames waiting for `queue` into the caller's buffers, `buffer_size`
 * bytes apart from `buffers` (at least the engine's buffer size, so no frame is cut), and
 * describes each in `frames[i]`; returns how many. */
int vnet_rss_engine_receive_into(vnet_rss_engine *engine, uint16_t queue, uint8_t *buffers, size_t buffer_size,
                                 size_t count, vnet_rss_frame *frames);

/* Waits up to `timeout_ms` for frames on `queue`: 1 when some may be waiting, 0 on timeout. */
int vnet_rss_engine_wait(vnet_rss_engine *engine, uint16_t queue, int32_t timeout_ms);

/* Publishes a new configuration with one atomic swap: each frame is decided wholly by the
 * old or wholly by the new one. -EINVAL (error filled), and the old one kept, when it cannot be
 * prepared. Validate a guest's configuration with the virtio policy first. */
int vnet_rss_engine_apply(vnet_rss_engine *engine, const vnet_rss_config *config, vnet_rss_error *error);

/* Attaches (1) or detaches (0) tap queue `tap_queue` (TUNSETQUEUE); -ERANGE past the tap's. */
int vnet_rss_engine_set_tap_queue(vnet_rss_engine *engine, uint16_t tap_queue, int32_t attached);

/* The counters: totals, and per receive queue in `delivered` and `dropped` when given
 * (`queue_capacity` entries each; -ENOSPC when fewer than the engine's receive queues, the
 * totals filled anyway). Any thread. */
int vnet_rss_engine_statistics(const vnet_rss_engine *engine, vnet_rss_statistics *totals, uint64_t *delivered,
                               uint64_t *dropped, size_t queue_capacity);

/* The engine's receive queues, or -EINVAL for NULL. Any thread. */
int vnet_rss_engine_queue_count(const vnet_rss_engine *engine);

/* ---- Steering for a VMM's own datapath ---------------------------------------------------- */

/* Kernel steering for a VMM that reads its tap queues itself, straight into guest memory: no
 * thread, buffer or read of the library's (docs/vmm-integration.md). The steering program queues
 * each frame on the tap queue of its receive queue; the VMM's thread for that queue readv()s it
 * into the guest's descriptor chain and calls vnet_rss_steering_classify_iov, which writes the
 * hash report there.
 *
 * `tap_fds`: the VMM's multi-queue tap fds (IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE |
 * IFF_VNET_HDR), one per queue pair in queue order, all attached; borrowed: they stay the
 * caller's to close after vnet_rss_steering_destroy, and their blocking mode, vnet header size and
 * offloads are left alone. `queue_count`: receive queues (0: one per fd). `program_fds`: the
 * VNET_RSS_STEERING_PROGRAM_FDS descriptors a privileged manager loaded
 * (vnet_rss_steering_program_load), duplicated; NULL loads the program here (BPF privilege).
 * The configuration is published to the program's maps; nothing is attached yet. -EINVAL for
 * NULL pointers, fd_count outside 1 to 64 or an unknown rule; -EBADF for a negative fd;
 * -ERANGE for queue_count above fd_count; -EINVAL (error filled) for a configuration that
 * cannot be prepared; the failing step's -errno otherwise (an fd that is no multi-queue tap).
 *
 * Threads: create, destroy, attach, detach, apply and set_queue_pairs from one thread at a time
 * (the control thread); the classify and decide functions from each queue's thread,
 * concurrently for different arrival queues, one thread at a time per arrival queue;
 * vnet_rss_steering_statistics from any thread.
 *
 * System calls, for a seccomp filter: create makes ioctl(TUNGETIFF) on each fd and bpf(2) (the
 * load through libbpf, or for program_fds BPF_OBJ_GET_INFO_BY_FD and BPF_MAP_LOOKUP_ELEM, with
 * fcntl(F_DUPFD_CLOEXEC)), then publishes; a publication (create, apply, set_queue_pairs) is two
 * bpf(BPF_MAP_UPDATE_ELEM), the second waiting for an RCU grace period; attach and detach are
 * one ioctl(TUNSETSTEERINGEBPF); set_queue_pairs adds one ioctl(TUNSETQUEUE) per queue that
 * changes; destroy detaches and closes the duplicated program fds. The classify and decide
 * functions make none, allocate nothing and take no lock. */
int vnet_rss_steering_create(const int32_t *tap_fds, size_t fd_count, const vnet_rss_config *config, uint16_t queue_count,
                             uint32_t extension_header_rule, const int32_t *program_fds, vnet_rss_steering **out,
                             vnet_rss_error *error);

/* Detaches the program and frees the object (NULL is ignored). The tap fds stay open. */
void vnet_rss_steering_destroy(vnet_rss_steering *steering);

/* Attaches the program (TUNSETSTEERINGEBPF): now where the configuration has RSS, else as soon
 * as one with RSS is applied. */
int vnet_rss_steering_attach(vnet_rss_steering *steering);

/* Detaches it: the tap spreads frames by its own flow hash again. */
int vnet_rss_steering_detach(vnet_rss_steering *steering);

/* Publishes `config` to the program's maps (never torn), then to the queue threads; a frame the
 * program steered by the new configuration and a thread decided by the old is a stray. -EINVAL
 * (error filled), the old one kept, when it cannot be prepared. When only the attach that a
 * pending vnet_rss_steering_attach makes here fails, the new configuration is in force, the
 * program detached, and the ioctl's -errno is returned. */
int vnet_rss_steering_apply(vnet_rss_steering *steering, const vnet_rss_config *config, vnet_rss_error *error);

/* A guest's VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: attaches tap queues 0..pairs-1 and detaches the
 * others (TUNSETQUEUE; the program's table follows the tap's renumbering), and steers to `pairs`
 * receive queues. -ERANGE for 0 or more pairs than fds. */
int vnet_rss_steering_set_queue_pairs(vnet_rss_steering *steering, uint16_t pairs);

/* Decides the frame readv() put in `iovcnt` elements at `iov` (`length`: what readv returned)
 * from tap queue `arrival_queue` (its fd's index), and writes bytes 12-19 of its header
 * (hash_value, hash_report, padding) wherever they fall; never num_buffers, nor any other byte.
 * `header_size` is the tap's vnet header: 20 (virtio_net_hdr_v1_hash) or 12 (virtio_net_hdr_v1:
 * nothing written); any other is -EINVAL. The frame's bytes are read once, copied before use (a
 * bounded prefix); the guest may change them meanwhile. A frame shorter than its header is
 * unclassified and untouched. -EINVAL for an element count above IOV_MAX or a NULL element
 * holding bytes of the frame, -ERANGE for a length past the elements or an arrival queue past the
 * fds; nothing is read or written then. No allocation, no lock, no system call. */
int vnet_rss_steering_classify_iov(vnet_rss_steering *steering, uint16_t arrival_queue, const struct iovec *iov,
                                   int iovcnt, size_t length, size_t header_size, vnet_rss_guest_decision *decision);

/* vnet_rss_steering_classify_iov without writing guest memory: `decision->fields` holds the 8
 * bytes to write at `decision->fields_offset` (when `fields_valid`), for a VMM that writes guest
 * memory through its own accessors (dirty-page logging). */
int vnet_rss_steering_decide_iov(vnet_rss_steering *steering, uint16_t arrival_queue, const struct iovec *iov, int iovcnt,
                                 size_t length, size_t header_size, vnet_rss_guest_decision *decision);

/* vnet_rss_steering_classify_iov for `count` frames of one arrival queue, in order, into
 * `decisions[i]`. 0 when all were decided; at the first refused frame, its -errno, with
 * `*decided` (when given) the number decided before it. */
int vnet_rss_steering_classify_iov_batch(vnet_rss_steering *steering, uint16_t arrival_queue,
                                         const vnet_rss_guest_frame *frames, size_t count, size_t header_size,
                                         vnet_rss_guest_decision *decisions, size_t *decided);

/* The counters of each tap queue into `counters` (`capacity` entries); returns the number of tap
 * queues (-ENOSPC when `capacity` is smaller, nothing written). Any thread, but it allocates:
 * not from a queue thread whose seccomp filter refuses mmap and brk. */
int vnet_rss_steering_statistics(const vnet_rss_steering *steering, vnet_rss_steering_counters *counters,
                                 size_t capacity);

/* Who steers now: VNET_RSS_STEERING_PROGRAM while the program is attached, else
 * VNET_RSS_STEERING_USERSPACE (the tap's own spreading; classify still reports). The control
 * thread. */
int vnet_rss_steering_state(const vnet_rss_steering *steering);

#ifdef __cplusplus
}
#endif
#endif /* VNET_RSS_H */
