/*
 * The steering program (bpf/steering.bpf.c) from the library's side: loading the embedded
 * object through libbpf, the configuration slots and their switch, attaching it to a tap
 * (TUNSETSTEERINGEBPF), and the kernel's program test-run facility (BPF_PROG_TEST_RUN).
 * Swift never imports libbpf: its headers carry their own copy of <linux/bpf.h>.
 * Each call returns 0 (or a count) or -errno.
 */
#ifndef VNET_STEERING_H
#define VNET_STEERING_H
#include <stdint.h>
#include <stddef.h>

/* A configuration prepared for the program (vnet_steering_layout.h, opaque here: Swift would
 * import its 65,536-entry table as a tuple). */
typedef struct vnet_steering_slot vnet_steering_slot;

/* The largest indirection table the program takes: 65,536 entries, all a 16-bit mask allows. */
#define VNET_STEERING_TABLE_LIMIT 65536u

/* Which build of the program: table-driven Toeplitz (the one the engine attaches), or the
 * bit-serial baseline (for measuring the tables against), or a program that returns 0 at once
 * (the test-run facility's floor). */
#define VNET_STEERING_BUILD_TABLES 0
#define VNET_STEERING_BUILD_BIT_SERIAL 1
#define VNET_STEERING_BUILD_EMPTY 2

/* The descriptors of a loaded program: the program, the switch (an ARRAY_OF_MAPS of one entry)
 * and the two configuration slots (ARRAY maps of one struct vnet_steering_slot). */
typedef struct {
    int32_t program;
    int32_t active;
    int32_t slots[2];
} vnet_steering_descriptors;

/* What the kernel says of a loaded program. */
typedef struct {
    uint32_t instructions;          /* BPF instructions after the verifier's rewrites */
    uint32_t verified_instructions; /* instructions the verifier processed */
    uint32_t jited_bytes;           /* size of the JIT's machine code */
} vnet_steering_program_info;

/* Loads the embedded build `build` through libbpf; on success fills `out` with descriptors the
 * caller owns (close-on-exec). On failure returns -errno and, where the verifier said why,
 * leaves its last lines in `log` (NUL-terminated, at most log_size bytes). */
int vnet_steering_load(uint32_t build, vnet_steering_descriptors *out, char *log, size_t log_size);

/* The size of the embedded object of `build`, in bytes. */
size_t vnet_steering_object_size(uint32_t build);

/* The kernel's account of a program. */
int vnet_steering_describe(int32_t program, vnet_steering_program_info *info);

/* A zeroed slot image (about 170 KiB), or NULL. */
vnet_steering_slot *vnet_steering_slot_create(void);
void vnet_steering_slot_destroy(vnet_steering_slot *slot);
/* Bytes of a slot image: the value size of a slot map. */
size_t vnet_steering_slot_size(void);

/* Fills a slot image: the key's first VNET_STEERING_KEY_BYTES bytes (zero-padded, for the
 * bit-serial build), the Toeplitz byte tables (`positions` rows of 256 contributions,
 * position-major, at most VNET_STEERING_MAX_INPUT: VNetRSS's ToeplitzHasher prepares them), the
 * enabled hash types, flags (VNET_STEERING_FLAG_*), the tap queue of unclassified frames and the
 * indirection table as tap queues (`table_length` entries, 1 to VNET_STEERING_TABLE_LIMIT; entry
 * hash & (table_length - 1) is taken). -EINVAL for anything out of those ranges. */
int vnet_steering_slot_fill(vnet_steering_slot *slot, const uint8_t *key, size_t key_length, const uint32_t *tables,
                            size_t positions, uint32_t hash_types, uint32_t flags, uint32_t unclassified_queue,
                            const uint16_t *table, uint32_t table_length);

/* Report _EX types in QEMU's order (ExtensionHeaderRule.qemu). */
#define VNET_STEERING_QEMU_EX_RULE 0x1u

/* Writes `slot` into the configuration slot map `slot_map` (bpf_map_update_elem). */
int vnet_steering_write_slot(int32_t slot_map, const vnet_steering_slot *slot);

/* Points the switch `active` at the slot map `slot_map`. Returns once no program can still be
 * reading the slot it named before (the kernel waits for an RCU grace period). */
int vnet_steering_switch(int32_t active, int32_t slot_map);

/* 0 when `program` is a socket-filter program that uses the map `active`, as the steering
 * program uses its switch; -EINVAL when it is another BPF object or another program; -errno
 * when the kernel cannot say. */
int vnet_steering_check_program(int32_t program, int32_t active);

/* Which slot the switch names: 0 for slots[0], 1 for slots[1], -ENOENT for neither. */
int vnet_steering_active_slot(int32_t active, int32_t slot0, int32_t slot1);

/* The value size of map `map` (to check that an adopted descriptor is a slot). */
int vnet_steering_map_value_size(int32_t map, uint32_t *value_size, uint32_t *map_type);

/* Runs `program` `repeat` times on `frame` (length bytes, starting at the destination MAC) with
 * the kernel's test-run facility; *result is the program's return value and *duration_ns the
 * kernel's mean time per run. */
int vnet_steering_test_run(int32_t program, const uint8_t *frame, uint32_t length, uint32_t repeat,
                           uint32_t *result, uint32_t *duration_ns);

/* The same, with the frame's own Ethernet header as the facility's: the socket buffer's data
 * starts after it, and its MAC and network headers are where a program reading them relative to
 * BPF_HDR_START_MAC and BPF_HDR_START_NET (QEMU's) expects them on an untagged frame. */
int vnet_steering_test_run_headers(int32_t program, const uint8_t *frame, uint32_t length, uint32_t repeat,
                                   uint32_t *result, uint32_t *duration_ns);

#endif
