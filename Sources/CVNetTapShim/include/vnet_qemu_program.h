#ifndef VNET_QEMU_PROGRAM_H
#define VNET_QEMU_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

/* A program in QEMU's eBPF RSS layout and its three maps, in the order QEMU's ebpf-rss-fds takes
 * them: QEMU's own (tools/ebpf/rss.bpf.c in QEMU, loaded from its ELF object, the peer `vnet-rss
 * bench --program-cost` times), or the steering program's QEMU-layout build, which a QEMU takes
 * instead of its own. */
typedef struct vnet_qemu_program {
    int32_t program;
    int32_t configuration; /* tap_rss_map_configurations: struct rss_config_t, packed */
    int32_t key;           /* tap_rss_map_toeplitz_key: struct toeplitz_key_data_t */
    int32_t table;         /* tap_rss_map_indirection_table: 128 __u16 entries */
} vnet_qemu_program;

/* Loads the object at `path` (needs BPF privilege); 0, or -errno with the verifier's last words
 * in `log`. */
int vnet_qemu_program_load(const char *path, vnet_qemu_program *out, char *log, size_t log_size);

/* Loads the steering program's QEMU-layout build (bpf/steering.bpf.c with
 * VNET_STEERING_QEMU_LAYOUT, embedded); needs BPF privilege. */
int vnet_qemu_program_load_vnet(vnet_qemu_program *out, char *log, size_t log_size);

/* Writes a configuration in QEMU's layout, as ebpf_rss_set_all does: redirect on, no hash
 * population, `hash_types`, the 40-byte `key` (its leftmost 32 bits in host order), and `length`
 * table entries (at most 128). */
int vnet_qemu_program_configure(const vnet_qemu_program *program, const uint8_t *key, uint32_t hash_types,
                                const uint16_t *table, uint16_t length, uint16_t default_queue);

/* Closes the four descriptors. */
void vnet_qemu_program_close(vnet_qemu_program *program);

#endif
