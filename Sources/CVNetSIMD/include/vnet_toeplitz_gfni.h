/*
 * Toeplitz with GFNI and AVX-512 (x86-64 with GFNI and AVX-512 F/BW/VL/VBMI).
 *
 * The method of Intel's technology guide "Galois Field New Instructions: Method for Calculating
 * Toeplitz Hash Using GFNI" (2022). Number the hash bytes q = 0..3 from the most significant.
 * Input byte p meets hash byte q through one 8x8 bit matrix that depends only on s = p + q:
 * row r of matrix s holds the key bits [8s + r, 8s + r + 8), so hash byte q is the XOR over p of
 * GF2P8AFFINEQB(input[p], matrix[p + q]). One 64-bit lane per matrix s carries the four input
 * bytes input[s], input[s-1], input[s-2], input[s-3] (a byte permute places them); XOR-folding all
 * lanes leaves the hash in one lane's low half. The high half carries a second tuple
 * the same way, which is how the bulk functions hash two inputs per pass.
 *
 * An input of n bytes (at most 36) needs n + 3 matrices, (n + 10) / 8 vectors of eight:
 * 2 for IPv4 (8 or 12 bytes), 5 for IPv6 (32 or 36 bytes).
 */
#ifndef VNET_TOEPLITZ_GFNI_H
#define VNET_TOEPLITZ_GFNI_H
#include <stddef.h>
#include <stdint.h>
#include "vnet_toeplitz_tuple.h"

/* Matrices a prepared key has: five vectors of eight, enough for a 36-byte input. */
#define VNET_TOEPLITZ_GFNI_MATRICES 40

/* The longest input the GFNI functions take, in bytes. */
#define VNET_TOEPLITZ_GFNI_MAX_INPUT 36

/* 1 when this CPU (and the kernel, for the AVX-512 state) has GFNI and AVX-512 F/BW/VL/VBMI. */
int vnet_toeplitz_gfni_supported(void);

/* Prepares the matrices of key (key_length bytes; key bits past its end read as 0).
 * matrices must hold VNET_TOEPLITZ_GFNI_MATRICES words and be 64-byte aligned. Runs anywhere. */
void vnet_toeplitz_gfni_prepare(const uint8_t *key, size_t key_length, uint64_t *matrices);

/* The functions below run only where vnet_toeplitz_gfni_supported() answered 1, and need a key
 * of at least length + 4 bytes for the answer to be the Toeplitz hash. */

/* The hash of length bytes (at most 36) at input. Reads no byte past input + length. */
uint32_t vnet_toeplitz_gfni(const uint64_t *matrices, const uint8_t *input, size_t length);

/* The longest input vnet_toeplitz_gfni_narrow takes: 13 bytes need 16 matrices, two vectors. */
#define VNET_TOEPLITZ_GFNI_NARROW_MAX 13

/* vnet_toeplitz_gfni without its length check, for callers that know the length: at most
 * VNET_TOEPLITZ_GFNI_NARROW_MAX bytes (IPv4 tuples) for _narrow, at most 36 for _wide; a longer
 * length reads past the input. Fewer instructions per call, for the one-at-a-time hash. */
uint32_t vnet_toeplitz_gfni_narrow(const uint64_t *matrices, const uint8_t *input, size_t length);
uint32_t vnet_toeplitz_gfni_wide(const uint64_t *matrices, const uint8_t *input, size_t length);

/* hashes[i] = the hash of the length bytes at inputs + i * stride, for i < count, two per pass. */
void vnet_toeplitz_gfni_strided(const uint64_t *matrices, const uint8_t *inputs, size_t stride, size_t length,
                                size_t count, uint32_t *hashes);

/* The hash of one tuple. */
uint32_t vnet_toeplitz_gfni_tuple(const uint64_t *matrices, const vnet_toeplitz_tuple *tuple);

/* hashes[i] = the hash of tuples[i], for i < count, two per pass (an empty tuple hashes to 0). */
void vnet_toeplitz_gfni_tuples(const uint64_t *matrices, const vnet_toeplitz_tuple *tuples, size_t count, uint32_t *hashes);
#endif
