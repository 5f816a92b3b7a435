/*
 * libFuzzer harness for the C ABI (vnet_rss.h), in C as a VMM calls it: every byte sequence as
 * a configuration blob in each format, then validation under both policies, encoding into
 * buffers of any size, reading back, and, where it validated, a classifier deciding the rest of
 * the input as packets, one at a time and in a batch. Built against a libvnetrss instrumented
 * for coverage and AddressSanitizer by scripts/fuzz.sh (target abi).
 *
 * A crash, a sanitizer report, or a broken promise of the header (abort) is a finding.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vnet_rss.h>

#define REQUIRE(condition) do { if (!(condition)) abort(); } while (0)

/* 0, or one of the negative errnos vnet_rss.h documents. */
static int documented(int result) {
    return result == 0 || result == -EINVAL || result == -ENOSPC || result == -ERANGE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return 0;
    uint32_t format = data[0] & 3, policy = (data[0] >> 2) & 1;
    size_t blob_length = size - 4 < data[1] * 4u ? size - 4 : data[1] * 4u;
    const uint8_t *blob = data + 4, *rest = data + 4 + blob_length;
    size_t rest_length = size - 4 - blob_length;

    vnet_rss_error error;
    vnet_rss_config *config = NULL;
    int result = vnet_rss_config_decode(format, policy, blob, blob_length, &config, &error);
    REQUIRE(documented(result) && (result == 0) == (config != NULL));
    if (result < 0) {
        REQUIRE(error.rule != VNET_RSS_RULE_NONE && memchr(error.message, 0, sizeof error.message) != NULL);
        return 0;
    }

    vnet_rss_device_limits limits = {.queue_pairs = (uint16_t)(data[2] % 17), .max_indirection_table_length = 128,
                                     .max_key_size = 40, .supported_hash_types = VNET_RSS_HASH_TYPES_ALL};
    int kernel = vnet_rss_config_validate(config, VNET_RSS_POLICY_KERNEL, NULL, &error);
    int virtio = vnet_rss_config_validate(config, VNET_RSS_POLICY_VIRTIO, &limits, &error);
    REQUIRE(documented(kernel) && documented(virtio));

    /* Encoding into every capacity around the size needed: -ENOSPC below it, the same bytes at it. */
    size_t needed = 0;
    uint8_t encoded[70000];
    for (uint32_t out = 0; out < 4; out++) {
        result = vnet_rss_config_encode(config, out, NULL, 0, &needed, &error);
        REQUIRE(documented(result));
        if (result == -ENOSPC && needed <= sizeof encoded) {
            REQUIRE(vnet_rss_config_encode(config, out, encoded, needed - 1, &needed, &error) == -ENOSPC || needed == 0);
            REQUIRE(vnet_rss_config_encode(config, out, encoded, needed, &needed, &error) == 0);
        }
    }

    vnet_rss_fields fields;
    uint16_t table[8];
    uint8_t key[16];
    result = vnet_rss_config_fields(config, &fields, table, data[3] % 9, key, data[3] % 17);
    REQUIRE(result == 0 || result == -ENOSPC);

    vnet_rss_classifier *classifier = NULL;
    result = vnet_rss_classifier_create(config, (uint16_t)(data[2] % 9), data[3] & 1, &classifier, &error);
    REQUIRE(documented(result));
    if (result == 0) {
        /* The rest, as one packet with a header of any size, then as up to 8 packets in a batch. */
        uint8_t *packet = malloc(rest_length + 1);
        memcpy(packet, rest, rest_length);
        vnet_rss_decision decision;
        size_t header = data[3] % 24;
        REQUIRE(vnet_rss_classify(classifier, rest_length ? packet : NULL, rest_length, header, 1, &decision) == 0);
        REQUIRE(decision.report <= 9 && (decision.report != 0 || decision.hash == 0));

        vnet_rss_batch *batch = NULL;
        REQUIRE(vnet_rss_batch_create(3, &batch) == 0);
        vnet_rss_packet packets[8];
        vnet_rss_decision decisions[8];
        size_t count = rest_length < 8 ? rest_length : 8, at = 0;
        for (size_t i = 0; i < count; i++) {
            size_t length = i + 1 == count ? rest_length - at : (rest_length - at) / (count - i);
            packets[i] = (vnet_rss_packet){packet + at, length, (uint16_t)i, {0}};
            at += length;
        }
        REQUIRE(vnet_rss_classify_batch(classifier, batch, packets, count, header, decisions) == 0);
        vnet_rss_batch_free(batch);
        vnet_rss_classifier_free(classifier);
        free(packet);
    }
    vnet_rss_config_free(config);
    return 0;
}
