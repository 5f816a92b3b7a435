/*
 * The configuration slot the steering program reads (bpf/steering.bpf.c) and VNetTap writes:
 * one layout shared by the BPF program and the library, so that the two cannot disagree.
 *
 * A slot holds a configuration prepared for the program: the enabled hash types, the Toeplitz
 * contribution of every byte value at every input position (per-position byte tables, built
 * from the key once per configuration), and the indirection table already translated into the
 * tap's queue numbers. The program never sees the key itself, except in the bit-serial build
 * kept for comparison, which reads `key`.
 *
 * Every field is host-endian: the program and the library run on the same machine.
 */
#ifndef VNET_STEERING_LAYOUT_H
#define VNET_STEERING_LAYOUT_H

/* The longest Toeplitz input: two IPv6 addresses and two ports (virtio spec 1.2, 5.1.6.4.3). */
#define VNET_STEERING_MAX_INPUT 36
/* The key bytes an input of VNET_STEERING_MAX_INPUT bytes reaches: input length + 4. */
#define VNET_STEERING_KEY_BYTES 40
/* The largest indirection table: the kernel series' mask is 16 bits wide (TUN_VNET_HASH_RSS). */
#define VNET_STEERING_MAX_TABLE 65536

/* slot.flags */
#define VNET_STEERING_FLAG_QEMU_EX_RULE 0x1u /* report _EX types in QEMU's order (ExtensionHeaderRule.qemu) */

struct vnet_steering_slot {
    /* VIRTIO_NET_RSS_HASH_TYPE_* bits enabled (at most 0x1FF). */
    unsigned int hash_types;
    /* VNET_STEERING_FLAG_* */
    unsigned int flags;
    /* Indirection table length less one (a power of two less one, at most 65535). */
    unsigned int table_mask;
    /* The tap queue (the kernel's queue number) for frames no enabled type matches. */
    unsigned int unclassified_queue;
    /* toeplitz[p][v]: the hash contribution of byte value v at input position p. */
    unsigned int toeplitz[VNET_STEERING_MAX_INPUT][256];
    /* The key's first 40 bytes, zero-padded (read by the bit-serial build only). */
    unsigned char key[VNET_STEERING_KEY_BYTES];
    /* table[hash & table_mask]: the tap queue (the kernel's queue number) of each entry. */
    unsigned short table[VNET_STEERING_MAX_TABLE];
};

#endif
