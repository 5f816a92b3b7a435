#define _GNU_SOURCE 1
#include "vnet_qemu_program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

enum { QEMU_TABLE_ENTRIES = 128, QEMU_KEY_BYTES = 40 };

/* struct rss_config_t of QEMU's tools/ebpf/rss.bpf.c. */
struct qemu_rss_config {
    uint8_t redirect;
    uint8_t populate_hash;
    uint32_t hash_types;
    uint16_t indirections_len;
    uint16_t default_queue;
} __attribute__((packed));

static int keep(int fd) { return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3); }

void vnet_qemu_program_close(vnet_qemu_program *program) {
    if (program == NULL) return;
    int32_t *fds[] = {&program->program, &program->configuration, &program->key, &program->table};
    for (size_t i = 0; i < 4; i++) {
        if (*fds[i] >= 0) close(*fds[i]);
        *fds[i] = -1;
    }
}

/* The steering program's QEMU-layout build, embedded by scripts/bpf-embed.py (steering_objects.c). */
extern const unsigned char vnet_steering_object_qemu_layout[];
extern const size_t vnet_steering_object_qemu_layout_size;

/* Loads an opened object and takes its program and the three maps named, in QEMU's order. */
static int load_object(struct bpf_object *object, const char *maps[3], char *verifier_log, vnet_qemu_program *out,
                       char *log, size_t log_size) {
    struct bpf_program *program = bpf_object__next_program(object, NULL);
    if (program != NULL) bpf_program__set_type(program, BPF_PROG_TYPE_SOCKET_FILTER);
    int result = program == NULL ? -ENOENT : bpf_object__load(object);
    if (result < 0) {
        if (log != NULL && log_size > 0) {
            size_t length = strlen(verifier_log);
            snprintf(log, log_size, "%s", length >= log_size ? verifier_log + length - log_size + 1 : verifier_log);
        }
        bpf_object__close(object);
        return result;
    }
    out->program = keep(bpf_program__fd(program));
    out->configuration = keep(bpf_object__find_map_fd_by_name(object, maps[0]));
    out->key = keep(bpf_object__find_map_fd_by_name(object, maps[1]));
    out->table = keep(bpf_object__find_map_fd_by_name(object, maps[2]));
    bpf_object__close(object);
    if (out->program < 0 || out->configuration < 0 || out->key < 0 || out->table < 0) {
        vnet_qemu_program_close(out);
        return -ENOENT;
    }
    return 0;
}

static int load(const char *path, vnet_qemu_program *out, char *log, size_t log_size) {
    if (out == NULL) return -EINVAL;
    out->program = out->configuration = out->key = out->table = -1;
    if (log != NULL && log_size > 0) log[0] = 0;
    enum { LOG_SIZE = 1 << 16 };
    char *verifier_log = calloc(1, LOG_SIZE);
    if (verifier_log == NULL) return -ENOMEM;
    LIBBPF_OPTS(bpf_object_open_opts, options, .kernel_log_buf = verifier_log, .kernel_log_size = LOG_SIZE);
    struct bpf_object *object =
        path ? bpf_object__open_file(path, &options)
             : bpf_object__open_mem(vnet_steering_object_qemu_layout, vnet_steering_object_qemu_layout_size, &options);
    if (object == NULL) {
        int failure = errno ? -errno : -EINVAL;
        free(verifier_log);
        return failure;
    }
    static const char *qemu_maps[3] = {"tap_rss_map_configurations", "tap_rss_map_toeplitz_key",
                                       "tap_rss_map_indirection_table"};
    static const char *vnet_maps[3] = {"vnet_rss_qemu_configuration", "vnet_rss_qemu_key", "vnet_rss_qemu_table"};
    int result = load_object(object, path ? qemu_maps : vnet_maps, verifier_log, out, log, log_size);
    free(verifier_log);
    return result;
}

int vnet_qemu_program_load(const char *path, vnet_qemu_program *out, char *log, size_t log_size) {
    if (path == NULL) return -EINVAL;
    return load(path, out, log, log_size);
}

int vnet_qemu_program_load_vnet(vnet_qemu_program *out, char *log, size_t log_size) {
    return load(NULL, out, log, log_size);
}

int vnet_qemu_program_configure(const vnet_qemu_program *program, const uint8_t *key, uint32_t hash_types,
                                const uint16_t *table, uint16_t length, uint16_t default_queue) {
    if (program == NULL || key == NULL || (table == NULL && length > 0) || length > QEMU_TABLE_ENTRIES)
        return -EINVAL;
    const uint32_t zero = 0;
    struct qemu_rss_config config = {
        .redirect = 1, .populate_hash = 0, .hash_types = hash_types, .indirections_len = length,
        .default_queue = default_queue,
    };
    if (bpf_map_update_elem(program->configuration, &zero, &config, BPF_ANY) < 0) return -errno;
    /* struct toeplitz_key_data_t: the leftmost 32 bits as a host-order word, then bytes 4 to 39. */
    uint8_t prepared[QEMU_KEY_BYTES];
    memcpy(prepared, key, QEMU_KEY_BYTES);
    uint32_t leftmost;
    memcpy(&leftmost, prepared, 4);
    leftmost = ntohl(leftmost);
    memcpy(prepared, &leftmost, 4);
    if (bpf_map_update_elem(program->key, &zero, prepared, BPF_ANY) < 0) return -errno;
    for (uint32_t index = 0; index < length; index++) {
        if (bpf_map_update_elem(program->table, &index, &table[index], BPF_ANY) < 0) return -errno;
    }
    return 0;
}
