/*
 * A Toeplitz input as it lies in a frame: source address, destination address and, for the
 * transport hash types, the two ports, hashed as if they were contiguous
 * (source || destination || ports). Nothing is copied to build it.
 */
#ifndef VNET_TOEPLITZ_TUPLE_H
#define VNET_TOEPLITZ_TUPLE_H
#include <stdint.h>

typedef struct vnet_toeplitz_tuple {
    /* address_length bytes each. */
    const uint8_t *source;
    const uint8_t *destination;
    /* 4 bytes (source port, destination port, big-endian), or NULL for the address-only types. */
    const uint8_t *ports;
    /* 4 (IPv4) or 16 (IPv6); 0 for an empty input, whose hash is 0. */
    uint32_t address_length;
} vnet_toeplitz_tuple;
#endif
