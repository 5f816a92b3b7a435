/*
 * The C ABI under bad input: every exported function called with NULL pointers, short
 * buffers, out-of-range queues, wrong handles and invalid blobs. Each must return the negative
 * errno vnet_rss.h documents, and none may trap; `make abi-test` builds this with
 * AddressSanitizer and runs it as root in a network namespace of its own (it makes a tap).
 *
 * Prints one line per check that fails and "abi: N checks, N passed"; exit status 0 when all
 * passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vnet_rss.h>

static int checks, passed;

#define EXPECT(expression, wanted)                                                                    \
    do {                                                                                              \
        long got_ = (long)(expression);                                                               \
        checks++;                                                                                     \
        if (got_ == (long)(wanted)) passed++;                                                         \
        else fprintf(stderr, "abi_test.c:%d: %s = %ld, want %ld\n", __LINE__, #expression, got_, (long)(wanted)); \
    } while (0)

static const uint8_t key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

static void versions(void) {
    EXPECT(vnet_rss_abi_version(), VNET_RSS_ABI_VERSION);
    EXPECT(VNET_RSS_ABI_CHECK(), 0);
    EXPECT(vnet_rss_sizeof(999), 0);
    EXPECT(vnet_rss_sizeof(VNET_RSS_TYPE_FRAME), sizeof(vnet_rss_frame));
}

static vnet_rss_config *good_config(void) {
    uint16_t table[4] = {0, 1, 2, 3};
    vnet_rss_fields fields = {.features = VNET_RSS_FEATURE_RSS | VNET_RSS_FEATURE_HASH_REPORT, .hash_types = VNET_RSS_HASH_TYPES_ALL,
                              .max_tx_vq = 1, .indirection_table_length = 4, .key_length = 40};
    vnet_rss_config *config = NULL;
    EXPECT(vnet_rss_config_create(&fields, table, key, &config, NULL), 0);
    return config;
}

static void configurations(void) {
    vnet_rss_error error;
    vnet_rss_config *config = (vnet_rss_config *)0x1; /* must be overwritten with NULL on failure */
    uint8_t blob[512] = {0};
    size_t length = 0;

    /* decode: NULL out, NULL bytes with a length, unknown format and policy, short and bad blobs */
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_KERNEL, blob, 10, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_KERNEL, NULL, 10, &config, &error), -EINVAL);
    EXPECT(config == NULL, 1);
    EXPECT(vnet_rss_config_decode(99, VNET_RSS_POLICY_KERNEL, blob, 10, &config, &error), -EINVAL);
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, 7, blob, 10, &config, &error), -EINVAL);
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_KERNEL, NULL, 0, &config, &error), -EINVAL);
    EXPECT(error.rule, VNET_RSS_RULE_TRUNCATED);
    EXPECT(error.virtio_ack, 1);
    EXPECT(error.kernel_errno, EFAULT);
    EXPECT(strnlen(error.message, sizeof error.message) < sizeof error.message, 1);
    memset(blob, 0xff, sizeof blob);
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_HASH, VNET_RSS_POLICY_VIRTIO, blob, 9, &config, &error), -EINVAL);
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_TUN_VNET_HASH, VNET_RSS_POLICY_KERNEL, blob, 3, &config, NULL), -EINVAL);

    /* create: NULL fields, NULL table or key with a length, bits outside the ABI */
    vnet_rss_fields fields = {.features = VNET_RSS_FEATURE_RSS, .hash_types = VNET_RSS_HASH_TYPES_ALL, .indirection_table_length = 4,
                              .key_length = 40};
    uint16_t table[4] = {0, 1, 2, 3};
    EXPECT(vnet_rss_config_create(NULL, table, key, &config, &error), -EINVAL);
    EXPECT(vnet_rss_config_create(&fields, NULL, key, &config, &error), -EINVAL);
    EXPECT(vnet_rss_config_create(&fields, table, NULL, &config, &error), -EINVAL);
    EXPECT(vnet_rss_config_create(&fields, table, key, NULL, &error), -EINVAL);
    fields.features = 0x80;
    EXPECT(vnet_rss_config_create(&fields, table, key, &config, &error), -EINVAL);
    fields.features = VNET_RSS_FEATURE_RSS;
    fields.hash_types = 0x400;
    EXPECT(vnet_rss_config_create(&fields, table, key, &config, &error), -EINVAL);

    /* validate: NULL config, virtio without limits, a rule broken with the error detail */
    config = good_config();
    vnet_rss_device_limits limits = {.queue_pairs = 2, .max_indirection_table_length = 128, .max_key_size = 40,
                                     .supported_hash_types = VNET_RSS_HASH_TYPES_ALL};
    EXPECT(vnet_rss_config_validate(NULL, VNET_RSS_POLICY_KERNEL, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_config_validate(config, VNET_RSS_POLICY_VIRTIO, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_config_validate(config, 5, &limits, &error), -EINVAL);
    EXPECT(vnet_rss_config_validate(config, VNET_RSS_POLICY_KERNEL, NULL, &error), 0);
    EXPECT(vnet_rss_config_validate(config, VNET_RSS_POLICY_VIRTIO, &limits, &error), -EINVAL);
    EXPECT(error.rule, VNET_RSS_RULE_ABOVE_MAXIMUM);
    EXPECT(strcmp(error.field, "indirection_table[2]"), 0);
    EXPECT(error.value, 2);
    EXPECT(error.limit, 1);

    /* encode: NULLs, unknown format, a short buffer (size reported), exact size */
    EXPECT(vnet_rss_config_encode(NULL, VNET_RSS_FORMAT_VIRTIO_RSS, blob, sizeof blob, &length, &error), -EINVAL);
    EXPECT(vnet_rss_config_encode(config, 42, blob, sizeof blob, &length, &error), -EINVAL);
    EXPECT(vnet_rss_config_encode(config, VNET_RSS_FORMAT_VIRTIO_RSS, blob, sizeof blob, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_config_encode(config, VNET_RSS_FORMAT_VIRTIO_RSS, NULL, 10, &length, &error), -EINVAL);
    EXPECT(vnet_rss_config_encode(config, VNET_RSS_FORMAT_VIRTIO_RSS, blob, 10, &length, &error), -ENOSPC);
    EXPECT(length, 4 + 2 + 2 + 8 + 2 + 1 + 40);
    EXPECT(vnet_rss_config_encode(config, VNET_RSS_FORMAT_VIRTIO_RSS, blob, length, &length, &error), 0);
    vnet_rss_config *decoded = NULL;
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_VIRTIO, blob, length, &decoded, &error), 0);
    vnet_rss_config *refused = NULL;
    EXPECT(vnet_rss_config_decode(VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_POLICY_VIRTIO, blob, length + 1, &refused, &error), -EINVAL);
    EXPECT(refused == NULL, 1);
    EXPECT(error.rule, VNET_RSS_RULE_TRAILING_BYTES);

    /* fields: NULLs, short table and key (fields still filled) */
    vnet_rss_fields read_back;
    uint16_t short_table[2];
    uint8_t short_key[8];
    EXPECT(vnet_rss_config_fields(NULL, &read_back, NULL, 0, NULL, 0), -EINVAL);
    EXPECT(vnet_rss_config_fields(decoded, NULL, NULL, 0, NULL, 0), -EINVAL);
    EXPECT(vnet_rss_config_fields(decoded, &read_back, short_table, 2, NULL, 0), -ENOSPC);
    EXPECT(read_back.indirection_table_length, 4);
    EXPECT(vnet_rss_config_fields(decoded, &read_back, NULL, 0, short_key, sizeof short_key), -ENOSPC);
    EXPECT(read_back.key_length, 40);

    /* with_features: NULLs, bits outside the ABI, and the copy has the new features */
    vnet_rss_config *reporting = (vnet_rss_config *)0x1;
    EXPECT(vnet_rss_config_with_features(NULL, VNET_RSS_FEATURE_RSS, &reporting), -EINVAL);
    EXPECT(reporting == NULL, 1);
    EXPECT(vnet_rss_config_with_features(decoded, VNET_RSS_FEATURE_RSS, NULL), -EINVAL);
    EXPECT(vnet_rss_config_with_features(decoded, 0x10, &reporting), -EINVAL);
    EXPECT(vnet_rss_config_with_features(decoded, VNET_RSS_FEATURE_RSS | VNET_RSS_FEATURE_HASH_REPORT, &reporting), 0);
    EXPECT(vnet_rss_config_fields(reporting, &read_back, NULL, 0, NULL, 0), 0);
    EXPECT(read_back.features, VNET_RSS_FEATURE_RSS | VNET_RSS_FEATURE_HASH_REPORT);
    vnet_rss_config_free(reporting);

    /* handles of the wrong kind are refused, not misread */
    vnet_rss_batch *batch = NULL;
    EXPECT(vnet_rss_batch_create(4, &batch), 0);
    EXPECT(vnet_rss_config_validate((const vnet_rss_config *)batch, VNET_RSS_POLICY_KERNEL, NULL, &error), -EINVAL);
    vnet_rss_config_free((vnet_rss_config *)batch); /* ignored: not a configuration */
    vnet_rss_batch_free(batch);
    vnet_rss_config_free(decoded);
    vnet_rss_config_free(config);
    vnet_rss_config_free(NULL);
}

static void toeplitz_and_classifiers(void) {
    uint32_t hash = 0;
    const uint8_t tuple[12] = {66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6};
    EXPECT(vnet_rss_toeplitz(key, 40, tuple, 12, &hash), 0);
    EXPECT(hash, 0x51ccc178);
    EXPECT(vnet_rss_toeplitz(key, 40, tuple, 12, NULL), -EINVAL);
    EXPECT(vnet_rss_toeplitz(NULL, 40, tuple, 12, &hash), -EINVAL);
    EXPECT(vnet_rss_toeplitz(key, 40, NULL, 12, &hash), -EINVAL);
    EXPECT(vnet_rss_toeplitz(key, 12, tuple, 12, &hash), -ERANGE);
    EXPECT(vnet_rss_toeplitz(key, 40, tuple, 37, &hash), -EINVAL);

    vnet_rss_error error;
    vnet_rss_config *config = good_config();
    vnet_rss_classifier *classifier = (vnet_rss_classifier *)0x1;
    EXPECT(vnet_rss_classifier_create(NULL, 4, VNET_RSS_EX_RULE_SPEC, &classifier, &error), -EINVAL);
    EXPECT(classifier == NULL, 1);
    EXPECT(vnet_rss_classifier_create(config, 4, 9, &classifier, &error), -EINVAL);
    EXPECT(vnet_rss_classifier_create(config, 4, VNET_RSS_EX_RULE_SPEC, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_classifier_create(config, 4, VNET_RSS_EX_RULE_QEMU, &classifier, &error), 0);

    /* classify: NULL classifier, packet or decision; short packets decide as empty frames */
    uint8_t packet[20 + 54] = {0};
    vnet_rss_decision decision = {1, 1, 1};
    EXPECT(vnet_rss_classify(NULL, packet, sizeof packet, 20, 0, &decision), -EINVAL);
    EXPECT(vnet_rss_classify(classifier, NULL, 10, 20, 0, &decision), -EINVAL);
    EXPECT(vnet_rss_classify(classifier, packet, sizeof packet, 20, 0, NULL), -EINVAL);
    EXPECT(vnet_rss_classify(classifier, packet, 5, 20, 3, &decision), 0);
    EXPECT(decision.report, 0);
    EXPECT(vnet_rss_classify(classifier, NULL, 0, 20, 0, &decision), 0);
    EXPECT(vnet_rss_classify(classifier, packet, sizeof packet, 1 << 20, 0, &decision), -EINVAL);

    /* batches: zero and huge capacities, NULL arrays, a NULL packet with a length */
    vnet_rss_batch *batch = (vnet_rss_batch *)0x1;
    EXPECT(vnet_rss_batch_create(0, &batch), -EINVAL);
    EXPECT(batch == NULL, 1);
    EXPECT(vnet_rss_batch_create(1 << 30, &batch), -EINVAL);
    EXPECT(vnet_rss_batch_create(4, NULL), -EINVAL);
    EXPECT(vnet_rss_batch_create(3, &batch), 0);
    vnet_rss_packet packets[7];
    vnet_rss_decision decisions[7];
    for (int i = 0; i < 7; i++) packets[i] = (vnet_rss_packet){packet, sizeof packet, (uint16_t)i, {0}};
    EXPECT(vnet_rss_classify_batch(NULL, batch, packets, 7, 20, decisions), -EINVAL);
    EXPECT(vnet_rss_classify_batch(classifier, NULL, packets, 7, 20, decisions), -EINVAL);
    EXPECT(vnet_rss_classify_batch(classifier, batch, NULL, 7, 20, decisions), -EINVAL);
    EXPECT(vnet_rss_classify_batch(classifier, batch, packets, 7, 20, NULL), -EINVAL);
    EXPECT(vnet_rss_classify_batch(classifier, batch, NULL, 0, 20, NULL), 0);
    EXPECT(vnet_rss_classify_batch(classifier, batch, packets, 7, 20, decisions), 0); /* 3 + 3 + 1 */
    packets[4].data = NULL;
    EXPECT(vnet_rss_classify_batch(classifier, batch, packets, 7, 20, decisions), -EINVAL);
    EXPECT(vnet_rss_classify_batch((const vnet_rss_classifier *)batch, batch, packets, 7, 20, decisions), -EINVAL);
    vnet_rss_batch_free(batch);
    vnet_rss_batch_free(NULL);
    vnet_rss_classifier_free(classifier);
    vnet_rss_classifier_free(NULL);
    vnet_rss_config_free(config);
}

static int open_tap_queue(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &request) < 0) {
        perror("tap");
        exit(2);
    }
    return fd;
}

static void handler(const vnet_rss_frame *frame, void *context) {
    (void)frame;
    (void)context;
}

static void engines(void) {
    int32_t fds[2] = {open_tap_queue("vrssabi0"), open_tap_queue("vrssabi0")};
    vnet_rss_error error;
    vnet_rss_config *config = good_config();
    vnet_rss_engine *engine = (vnet_rss_engine *)0x1;
    vnet_rss_engine_options options = {0};
    int32_t bad_fds[2] = {-1, -1};
    int32_t not_taps[1] = {STDERR_FILENO};

    EXPECT(vnet_rss_engine_create(NULL, 2, config, NULL, &engine, &error), -EINVAL);
    EXPECT(engine == NULL, 1);
    EXPECT(vnet_rss_engine_create(fds, 0, config, NULL, &engine, &error), -EINVAL);
    EXPECT(vnet_rss_engine_create(fds, 65, config, NULL, &engine, &error), -EINVAL);
    EXPECT(vnet_rss_engine_create(fds, 2, NULL, NULL, &engine, &error), -EINVAL);
    EXPECT(vnet_rss_engine_create(fds, 2, config, NULL, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_engine_create(bad_fds, 2, config, NULL, &engine, &error), -EBADF);
    EXPECT(vnet_rss_engine_create(not_taps, 1, config, NULL, &engine, &error) < 0, 1);
    options.reader = 17;
    EXPECT(vnet_rss_engine_create(fds, 2, config, &options, &engine, &error), -EINVAL);
    options.reader = VNET_RSS_READER_READ;
    options.receive_queues = 65;
    EXPECT(vnet_rss_engine_create(fds, 2, config, &options, &engine, &error), -EINVAL);
    options.receive_queues = 4;
    options.buffer_size = 10;
    EXPECT(vnet_rss_engine_create(fds, 2, config, &options, &engine, &error), -EINVAL);
    options.buffer_size = 0;
    EXPECT(vnet_rss_engine_create(fds, 2, config, &options, &engine, &error), 0);
    EXPECT(vnet_rss_engine_queue_count(engine), 4);
    EXPECT(vnet_rss_engine_queue_count(NULL), -EINVAL);

    EXPECT(vnet_rss_engine_start(NULL), -EINVAL);
    EXPECT(vnet_rss_engine_start(engine), 0);
    EXPECT(vnet_rss_engine_receive(NULL, 0, 8, handler, NULL), -EINVAL);
    EXPECT(vnet_rss_engine_receive(engine, 0, 8, NULL, NULL), -EINVAL);
    EXPECT(vnet_rss_engine_receive(engine, 4, 8, handler, NULL), -ERANGE);
    EXPECT(vnet_rss_engine_receive(engine, 3, 8, handler, NULL), 0);

    static uint8_t buffers[2][2048];
    vnet_rss_frame frames[2];
    EXPECT(vnet_rss_engine_receive_into(NULL, 0, &buffers[0][0], 2048, 2, frames), -EINVAL);
    EXPECT(vnet_rss_engine_receive_into(engine, 9, &buffers[0][0], 2048, 2, frames), -ERANGE);
    EXPECT(vnet_rss_engine_receive_into(engine, 0, NULL, 2048, 2, frames), -EINVAL);
    EXPECT(vnet_rss_engine_receive_into(engine, 0, &buffers[0][0], 2048, 2, NULL), -EINVAL);
    EXPECT(vnet_rss_engine_receive_into(engine, 0, &buffers[0][0], 100, 2, frames), -ENOSPC);
    EXPECT(vnet_rss_engine_receive_into(engine, 0, &buffers[0][0], 2048, 0, frames), 0);
    EXPECT(vnet_rss_engine_receive_into(engine, 0, &buffers[0][0], 2048, 2, frames), 0);

    EXPECT(vnet_rss_engine_wait(NULL, 0, 0), -EINVAL);
    EXPECT(vnet_rss_engine_wait(engine, 200, 0), -ERANGE);
    EXPECT(vnet_rss_engine_wait(engine, 1, 0), 0);

    vnet_rss_fields fields = {.features = VNET_RSS_FEATURE_RSS, .hash_types = VNET_RSS_HASH_TYPES_ALL, .key_length = 40};
    vnet_rss_config *no_table = NULL;
    EXPECT(vnet_rss_config_create(&fields, NULL, key, &no_table, &error), 0);
    EXPECT(vnet_rss_engine_apply(NULL, config, &error), -EINVAL);
    EXPECT(vnet_rss_engine_apply(engine, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_engine_apply(engine, no_table, &error), -EINVAL); /* RSS without a table */
    EXPECT(error.rule, VNET_RSS_RULE_BELOW_MINIMUM);
    EXPECT(vnet_rss_engine_apply(engine, config, &error), 0);

    EXPECT(vnet_rss_engine_set_tap_queue(NULL, 0, 0), -EINVAL);
    EXPECT(vnet_rss_engine_set_tap_queue(engine, 2, 0), -ERANGE);
    EXPECT(vnet_rss_engine_set_tap_queue(engine, 1, 7), -EINVAL);
    EXPECT(vnet_rss_engine_set_tap_queue(engine, 1, 0), 0);
    EXPECT(vnet_rss_engine_set_tap_queue(engine, 1, 1), 0);

    vnet_rss_statistics totals;
    uint64_t delivered[4], dropped[4];
    EXPECT(vnet_rss_engine_statistics(NULL, &totals, NULL, NULL, 0), -EINVAL);
    EXPECT(vnet_rss_engine_statistics(engine, NULL, NULL, NULL, 0), -EINVAL);
    EXPECT(vnet_rss_engine_statistics(engine, &totals, delivered, dropped, 3), -ENOSPC);
    EXPECT(vnet_rss_engine_statistics(engine, &totals, delivered, dropped, 4), 0);
    EXPECT(totals.frames_read, totals.frames_delivered + totals.frames_dropped);

    /* Steering: four receive queues over two tap queues is more than the program can steer to,
     * so the automatic choice settled on userspace and says why. */
    char reason[256];
    EXPECT(vnet_rss_engine_steering(NULL, reason, sizeof reason), -EINVAL);
    EXPECT(vnet_rss_engine_steering(engine, NULL, 0), (int)VNET_RSS_STEERING_USERSPACE);
    EXPECT(vnet_rss_engine_steering(engine, reason, sizeof reason), (int)VNET_RSS_STEERING_USERSPACE);
    EXPECT(strstr(reason, "automatic") != NULL && strstr(reason, "tap queues") != NULL, 1);
    EXPECT(vnet_rss_engine_steering(engine, reason, 1), (int)VNET_RSS_STEERING_USERSPACE);
    EXPECT(reason[0], 0);

    int32_t program[VNET_RSS_STEERING_PROGRAM_FDS];
    int32_t bad_program[VNET_RSS_STEERING_PROGRAM_FDS] = {-1, -1, -1, -1};
    int32_t not_program[VNET_RSS_STEERING_PROGRAM_FDS] = {fds[0], fds[1], fds[0], fds[1]};
    vnet_rss_engine *steered = (vnet_rss_engine *)0x1;
    EXPECT(vnet_rss_steering_program_load(NULL), -EINVAL);
    EXPECT(vnet_rss_steering_program_load(program), 0);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, NULL, 4, NULL, &steered, &error), -EINVAL);
    EXPECT(steered == NULL, 1);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, NULL, VNET_RSS_STEERING_PROGRAM, bad_program, &steered, &error), -EBADF);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, NULL, VNET_RSS_STEERING_PROGRAM, not_program, &steered, &error) < 0, 1);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, &options, VNET_RSS_STEERING_PROGRAM, program, &steered, &error), -EINVAL);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, NULL, VNET_RSS_STEERING_KERNEL, NULL, &steered, &error), -EOPNOTSUPP);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, NULL, VNET_RSS_STEERING_PROGRAM, program, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_engine_create_steered(fds, 2, config, NULL, VNET_RSS_STEERING_PROGRAM, program, &steered, &error), 0);
    EXPECT(vnet_rss_engine_steering(steered, reason, sizeof reason), (int)VNET_RSS_STEERING_PROGRAM);
    EXPECT(strstr(reason, "adopted") != NULL, 1);
    EXPECT(vnet_rss_engine_start(steered), 0);
    EXPECT(vnet_rss_engine_apply(steered, config, &error), 0);
    vnet_rss_engine_destroy(steered);
    for (unsigned i = 0; i < VNET_RSS_STEERING_PROGRAM_FDS; i++) EXPECT(close(program[i]), 0);

    vnet_rss_capability capability;
    EXPECT(vnet_rss_kernel_capability(-1, &capability), -EINVAL);
    EXPECT(vnet_rss_kernel_capability(fds[0], NULL), -EINVAL);
    int answer = vnet_rss_kernel_capability(fds[0], &capability);
    EXPECT(answer == 0 || answer == -EINVAL || answer == -ENOTTY, 1); /* EINVAL: a kernel without the series */

    EXPECT(vnet_rss_engine_stop(NULL), -EINVAL);
    EXPECT(vnet_rss_engine_stop(engine), 0);
    EXPECT(vnet_rss_engine_stop(engine), 0);
    vnet_rss_engine_destroy((vnet_rss_engine *)config); /* ignored: not an engine */
    vnet_rss_engine_destroy(engine);
    vnet_rss_engine_destroy(NULL);
    vnet_rss_config_free(no_table);
    vnet_rss_config_free(config);
    close(fds[0]);
    close(fds[1]);
}

/* A UDP/IPv4 frame behind a 20-byte vnet header, split over three elements (the header across
 * the first two, byte 12 starting the second). */
static uint8_t guest_header[12], guest_rest[8 + 14 + 20 + 8];
static struct iovec guest_iov[3] = {{guest_header, 12}, {guest_rest, 8}, {guest_rest + 8, 42}};

static void steerings(void) {
    int32_t fds[2] = {open_tap_queue("vrssabi1"), open_tap_queue("vrssabi1")};
    int32_t bad_fds[2] = {-1, -1};
    int32_t not_taps[1] = {STDERR_FILENO};
    vnet_rss_error error;
    vnet_rss_config *config = good_config();
    vnet_rss_steering *steering = (vnet_rss_steering *)0x1;
    static const uint8_t udp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
                                    0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                                    0x30, 0x39, 0x01, 0xbb, 0, 8, 0, 0};
    memcpy(guest_rest + 8, udp, sizeof udp);

    EXPECT(vnet_rss_steering_create(NULL, 2, config, 0, 0, NULL, &steering, &error), -EINVAL);
    EXPECT(steering == NULL, 1);
    EXPECT(vnet_rss_steering_create(fds, 0, config, 0, 0, NULL, &steering, &error), -EINVAL);
    EXPECT(vnet_rss_steering_create(fds, 65, config, 0, 0, NULL, &steering, &error), -EINVAL);
    EXPECT(vnet_rss_steering_create(fds, 2, NULL, 0, 0, NULL, &steering, &error), -EINVAL);
    EXPECT(vnet_rss_steering_create(fds, 2, config, 0, 9, NULL, &steering, &error), -EINVAL);
    EXPECT(vnet_rss_steering_create(fds, 2, config, 0, 0, NULL, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_steering_create(bad_fds, 2, config, 0, 0, NULL, &steering, &error), -EBADF);
    EXPECT(vnet_rss_steering_create(fds, 2, config, 3, 0, NULL, &steering, &error), -ERANGE);
    EXPECT(vnet_rss_steering_create(not_taps, 1, config, 0, 0, NULL, &steering, &error) < 0, 1);
    int32_t bad_program[VNET_RSS_STEERING_PROGRAM_FDS] = {-1, -1, -1, -1};
    int32_t not_program[VNET_RSS_STEERING_PROGRAM_FDS] = {fds[0], fds[1], fds[0], fds[1]};
    EXPECT(vnet_rss_steering_create(fds, 2, config, 0, 0, bad_program, &steering, &error), -EBADF);
    EXPECT(vnet_rss_steering_create(fds, 2, config, 0, 0, not_program, &steering, &error) < 0, 1);
    EXPECT(vnet_rss_steering_create(fds, 2, config, 0, 0, NULL, &steering, &error), 0);

    EXPECT(vnet_rss_steering_state(NULL), -EINVAL);
    EXPECT(vnet_rss_steering_state(steering), (int)VNET_RSS_STEERING_USERSPACE);
    EXPECT(vnet_rss_steering_attach(NULL), -EINVAL);
    EXPECT(vnet_rss_steering_attach(steering), 0);
    EXPECT(vnet_rss_steering_state(steering), (int)VNET_RSS_STEERING_PROGRAM);
    EXPECT(vnet_rss_steering_attach((vnet_rss_steering *)config), -EINVAL); /* not a steering object */
    EXPECT(vnet_rss_steering_apply(NULL, config, &error), -EINVAL);
    EXPECT(vnet_rss_steering_apply(steering, NULL, &error), -EINVAL);
    EXPECT(vnet_rss_steering_apply(steering, config, &error), 0);
    EXPECT(vnet_rss_steering_set_queue_pairs(NULL, 1), -EINVAL);
    EXPECT(vnet_rss_steering_set_queue_pairs(steering, 0), -ERANGE);
    EXPECT(vnet_rss_steering_set_queue_pairs(steering, 3), -ERANGE);
    EXPECT(vnet_rss_steering_set_queue_pairs(steering, 1), 0);
    EXPECT(vnet_rss_steering_set_queue_pairs(steering, 2), 0);

    vnet_rss_guest_decision decision;
    size_t length = 12 + sizeof guest_rest;
    EXPECT(vnet_rss_steering_classify_iov(NULL, 0, guest_iov, 3, length, 20, &decision), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, 3, length, 20, NULL), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 2, guest_iov, 3, length, 20, &decision), -ERANGE);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, -1, length, 20, &decision), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, 1025, length, 20, &decision), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, 3, length + 1, 20, &decision), -ERANGE);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, 3, SIZE_MAX, 20, &decision), -ERANGE);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, 3, length, 16, &decision), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, guest_iov, 3, length, SIZE_MAX, &decision), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, NULL, 3, length, 20, &decision), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov(steering, 0, NULL, 0, 0, 20, &decision), 0); /* shorter than its header */
    EXPECT(decision.report, 0);
    EXPECT(decision.fields_valid, 0);
    memset(guest_rest, 0xEE, 8);
    EXPECT(vnet_rss_steering_decide_iov(steering, 1, guest_iov, 3, length, 20, &decision), 0);
    EXPECT(decision.report, 3); /* VIRTIO_NET_HASH_REPORT_UDPv4 */
    EXPECT(decision.fields_valid, 1);
    EXPECT(decision.fields_offset, VNET_RSS_HASH_FIELDS_OFFSET);
    EXPECT(guest_rest[0], 0xEE); /* decide writes nothing */
    EXPECT(vnet_rss_steering_classify_iov(steering, 1, guest_iov, 3, length, 20, &decision), 0);
    EXPECT(memcmp(guest_rest, decision.fields, VNET_RSS_HASH_FIELDS_SIZE), 0);
    EXPECT(decision.stray, decision.queue != 1);
    uint32_t hash = decision.hash;
    EXPECT(hash != 0, 1);
    /* A 12-byte header: the frame starts at byte 12 (here the 0xEE hash fields: not IP), and
     * there are no hash fields to write. */
    EXPECT(vnet_rss_steering_classify_iov(steering, 1, guest_iov, 3, length, 12, &decision), 0);
    EXPECT(decision.fields_valid, 0);
    EXPECT(decision.report, 0);

    vnet_rss_guest_frame frames[3] = {{guest_iov, 3, 0, length}, {guest_iov, 3, 0, length}, {guest_iov, 3, 0, length + 1}};
    vnet_rss_guest_decision decisions[3];
    size_t decided = 99;
    EXPECT(vnet_rss_steering_classify_iov_batch(NULL, 0, frames, 3, 20, decisions, &decided), -EINVAL);
    EXPECT(decided, 0);
    EXPECT(vnet_rss_steering_classify_iov_batch(steering, 0, NULL, 3, 20, decisions, &decided), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov_batch(steering, 0, frames, 3, 20, NULL, &decided), -EINVAL);
    EXPECT(vnet_rss_steering_classify_iov_batch(steering, 0, frames, 0, 20, decisions, &decided), 0);
    EXPECT(vnet_rss_steering_classify_iov_batch(steering, 0, frames, 3, 20, decisions, &decided), -ERANGE);
    EXPECT(decided, 2);
    EXPECT(decisions[1].hash, hash);
    frames[2].length = length;
    frames[2].reserved = 1;
    EXPECT(vnet_rss_steering_classify_iov_batch(steering, 0, frames, 3, 20, decisions, NULL), -EINVAL);

    vnet_rss_steering_counters counters[2];
    EXPECT(vnet_rss_steering_statistics(NULL, counters, 2), -EINVAL);
    EXPECT(vnet_rss_steering_statistics(steering, counters, 1), -ENOSPC);
    EXPECT(vnet_rss_steering_statistics(steering, NULL, 2), -EINVAL);
    EXPECT(vnet_rss_steering_statistics(steering, counters, 2), 2);
    EXPECT(counters[0].frames, 5);
    EXPECT(counters[0].unclassified, 1);
    EXPECT(counters[1].frames, 3);
    EXPECT(counters[1].unclassified, 1);

    EXPECT(vnet_rss_steering_detach(NULL), -EINVAL);
    EXPECT(vnet_rss_steering_detach(steering), 0);
    EXPECT(vnet_rss_steering_state(steering), (int)VNET_RSS_STEERING_USERSPACE);
    vnet_rss_steering_destroy((vnet_rss_steering *)config); /* ignored: not a steering object */
    vnet_rss_steering_destroy(steering);
    vnet_rss_steering_destroy(NULL);
    vnet_rss_config_free(config);
    EXPECT(close(fds[0]), 0); /* borrowed: still the caller's */
    EXPECT(close(fds[1]), 0);
}

int main(void) {
    if (unshare(CLONE_NEWNET) != 0) {
        perror("unshare(CLONE_NEWNET) (run as root)");
        return 2;
    }
    versions();
    configurations();
    toeplitz_and_classifiers();
    engines();
    steerings();
    printf("abi: %d checks, %d passed\n", checks, passed);
    return passed == checks ? 0 : 1;
}
