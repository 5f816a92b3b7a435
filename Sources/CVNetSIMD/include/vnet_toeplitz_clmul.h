/*
 * Vectorised Toeplitz for vnet-rss: the carry-less-multiply method (PCLMULQDQ on x86-64).
 *
 * For input word j (bytes 4j..4j+3, big-endian) and the 64 key bits [32j, 32j + 64) read as a
 * 64-bit number K_j, the word's contribution is bits [32, 64) of the carry-less product of K_j and
 * the bit-reversed word. Bit-reversing K_j once, when the key is prepared, turns that into bits
 * [31, 63) of clmul(rev64(K_j), word), reversed: one multiply per word, one 32-bit reverse per hash.
 */
#ifndef VNET_TOEPLITZ_CLMUL_H
#define VNET_TOEPLITZ_CLMUL_H
#include <stdint.h>
#include <stddef.h>

/* The most 32-bit words an input has: 36 bytes. */
#define VNET_TOEPLITZ_MAX_WORDS 9

/* 1 when this CPU has PCLMULQDQ (and SSE4.1), else 0. */
int vnet_toeplitz_clmul_supported(void);

/* Prepares the reversed key slices: slices[j] = rev64(key bits [32j, 32j + 64)) for the words a
 * key of key_length bytes covers (key_length - 4) / 4, at most 9; returns that count. */
int vnet_toeplitz_clmul_prepare(const uint8_t *key, size_t key_length, uint64_t slices[VNET_TOEPLITZ_MAX_WORDS]);

/* The Toeplitz hash of the tuple source || destination || ports, where each address is
 * address_length bytes (4 or 16) and ports (4 bytes) may be NULL. The slices must cover the
 * tuple. Call only where vnet_toeplitz_clmul_supported() answered 1. */
uint32_t vnet_toeplitz_clmul_tuple(const uint64_t *slices, const uint8_t *source, const uint8_t *destination,
                                   size_t address_length, const uint8_t *ports);

/* The Toeplitz hash of length bytes (a multiple of 4, at most 36) at input. */
uint32_t vnet_toeplitz_clmul(const uint64_t *slices, const uint8_t *input, size_t length);
#endif
