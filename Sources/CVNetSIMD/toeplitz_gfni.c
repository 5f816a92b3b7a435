#include "vnet_toeplitz_gfni.h"
#include <string.h>

void vnet_toeplitz_gfni_prepare(const uint8_t *key, size_t key_length, uint64_t *matrices) {
    for (size_t s = 0; s < VNET_TOEPLITZ_GFNI_MATRICES; s++) {
        unsigned here = s < key_length ? key[s] : 0;
        unsigned next = s + 1 < key_length ? key[s + 1] : 0;
        uint64_t matrix = 0;
        /* Row r (byte r of the little-endian word) = the 8 key bits from bit 8s + r: GF2P8AFFINEQB
         * computes result bit b from row 7 - b, and bit b of a byte is its bit 7 - b counted from the
         * most significant, so row r meets output bit r from the top, as Toeplitz wants. */
        for (unsigned r = 0; r < 8; r++) {
            uint64_t row = ((here << r) | (next >> (8 - r))) & 0xFF;
            matrix |= row << (8 * r);
        }
        matrices[s] = matrix;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define VNET_GFNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,gfni")))
#define VNET_GFNI_INLINE VNET_GFNI_TARGET static inline __attribute__((always_inline))

int vnet_toeplitz_gfni_supported(void) {
    __builtin_cpu_init();
    /* __builtin_cpu_supports reports AVX-512 only when the kernel saves the ZMM state (XCR0). */
    return __builtin_cpu_supports("gfni") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi");
}

/* Two tuples per pass. Byte j of lane l of vector k (matrix s = 8k + l): for j < 4, input byte
 * s - (3 - j) of the first tuple, bound for hash byte 3 - j, so that the folded lane's low 32 bits
 * read little-endian are the hash; for j >= 4, the same for the second tuple (index + 64 in the
 * two-source permute). Bytes before the input's start take index 63 or 127: a zero byte, because
 * inputs are at most 36 bytes and loaded zero-extended to 64. */
#define VNET_FIRST(s, j) ((s) >= (j) ? (s) - (j) : 63)
#define VNET_SECOND(s, j) ((s) >= (j) ? 64 + (s) - (j) : 127)
#define VNET_LANE(s) VNET_FIRST(s, 3), VNET_FIRST(s, 2), VNET_FIRST(s, 1), VNET_FIRST(s, 0), \
    VNET_SECOND(s, 3), VNET_SECOND(s, 2), VNET_SECOND(s, 1), VNET_SECOND(s, 0)
#define VNET_VECTOR(k) { VNET_LANE(8 * (k) + 0), VNET_LANE(8 * (k) + 1), VNET_LANE(8 * (k) + 2), VNET_LANE(8 * (k) + 3), \
    VNET_LANE(8 * (k) + 4), VNET_LANE(8 * (k) + 5), VNET_LANE(8 * (k) + 6), VNET_LANE(8 * (k) + 7) }

static const uint8_t placement[VNET_TOEPLITZ_GFNI_MATRICES / 8][64] __attribute__((aligned(64))) = {
    VNET_VECTOR(0), VNET_VECTOR(1), VNET_VECTOR(2), VNET_VECTOR(3), VNET_VECTOR(4),
};

/* One tuple needs no table per vector. In lane l of vector k (matrix s = 8k + l), byte j < 4
 * takes input byte s - (3 - j); a one-source permute reads its indices modulo 64, so the indices
 * of vector 0 written modulo 64 serve every vector once 8k is added: where s - (3 - j) is
 * negative the index wraps to 61..63, bytes an input of at most 36 leaves zero, and from
 * vector 1 on it is the true index. Bytes 4..7 repeat 0..3 and are ignored. One constant
 * load and a byte add per vector, instead of a table load per vector. */
#define VNET_SINGLE(s, j) (((s) - (j)) & 63)
#define VNET_SINGLE_LANE(s) VNET_SINGLE(s, 3), VNET_SINGLE(s, 2), VNET_SINGLE(s, 1), VNET_SINGLE(s, 0), \
    VNET_SINGLE(s, 3), VNET_SINGLE(s, 2), VNET_SINGLE(s, 1), VNET_SINGLE(s, 0)
static const uint8_t single_placement[64] __attribute__((aligned(64))) = {
    VNET_SINGLE_LANE(0), VNET_SINGLE_LANE(1), VNET_SINGLE_LANE(2), VNET_SINGLE_LANE(3),
    VNET_SINGLE_LANE(4), VNET_SINGLE_LANE(5), VNET_SINGLE_LANE(6), VNET_SINGLE_LANE(7),
};

/* Vectors of eight matrices an input of length bytes needs. */
static inline unsigned vectors_for(size_t length) { return (unsigned)((length + 10) / 8); }

/* The products of two inputs over `vectors` vectors; the compiler unrolls for the constant
 * counts (2 or 5) of the callers. */
VNET_GFNI_INLINE __m512i pair_products(const uint64_t *matrices, __m512i first, __m512i second, unsigned vectors) {
    __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
    for (unsigned k = 0; k < vectors; k++) {
        __m512i index = _mm512_load_si512((const void *)placement[k]);
        __m512i bytes = _mm512_permutex2var_epi8(first, index, second);
        __m512i product = _mm512_gf2p8affine_epi64_epi8(bytes, _mm512_load_si512((const void *)(matrices + 8 * k)), 0);
        if (k & 1) odd = _mm512_xor_si512(odd, product);
        else even = _mm512_xor_si512(even, product);
    }
    return _mm512_xor_si512(even, odd);
}

/* The products of one input of at most 13 bytes: two vectors, unrolled. The second vector's
 * indices are the first's plus 8, one add of a constant the compiler takes from memory: one
 * instruction fewer than the opaque step register single_products keeps for five vectors. */
VNET_GFNI_INLINE __m512i narrow_products(const uint64_t *matrices, __m512i bytes) {
    __m512i index = _mm512_load_si512((const void *)single_placement);
    __m512i first = _mm512_gf2p8affine_epi64_epi8(_mm512_permutexvar_epi8(index, bytes), _mm512_load_si512((const void *)matrices), 0);
    __m512i next = _mm512_add_epi8(index, _mm512_set1_epi8(8));
    __m512i second = _mm512_gf2p8affine_epi64_epi8(_mm512_permutexvar_epi8(next, bytes), _mm512_load_si512((const void *)(matrices + 8)), 0);
    return _mm512_xor_si512(first, second);
}

/* The products of one input over `vectors` vectors (2 or 5, constants at every call site). */
VNET_GFNI_INLINE __m512i single_products(const uint64_t *matrices, __m512i bytes, unsigned vectors) {
    __m512i index = _mm512_load_si512((const void *)single_placement);
    __m512i step = _mm512_set1_epi8(8);
    /* Opaque to the optimiser, which would otherwise fold each index + 8k into a 64-byte
     * constant of its own and load it, the load this placement exists to save. */
    __asm__("" : "+v"(step));
    __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
    for (unsigned k = 0; k < vectors; k++) {
        __m512i product = _mm512_gf2p8affine_epi64_epi8(_mm512_permutexvar_epi8(index, bytes),
                                                        _mm512_load_si512((const void *)(matrices + 8 * k)), 0);
        if (k & 1) odd = _mm512_xor_si512(odd, product);
        else even = _mm512_xor_si512(even, product);
        index = _mm512_add_epi8(index, step);
    }
    return _mm512_xor_si512(even, odd);
}

/* XOR of the eight lanes: the low 32 bits are the first tuple's hash, the high 32 the second's. */
VNET_GFNI_INLINE uint64_t fold(__m512i lanes) {
    __m256i half = _mm256_xor_si256(_mm512_castsi512_si256(lanes), _mm512_extracti64x4_epi64(lanes, 1));
    __m128i quarter = _mm_xor_si128(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
    return (uint64_t)_mm_cvtsi128_si64(quarter) ^ (uint64_t)_mm_extract_epi64(quarter, 1);
}

static inline uint32_t first_hash(uint64_t folded) { return (uint32_t)folded; }
static inline uint32_t second_hash(uint64_t folded) { return (uint32_t)(folded >> 32); }

/* input_masks[n]: the low n bits set, the load mask of an n-byte input. A table load is one
 * instruction where building the mask (BZHI of all ones) takes three. */
#define VNET_MASK(n) ((1ULL << (n)) - 1)
#define VNET_MASKS4(n) VNET_MASK(n), VNET_MASK((n) + 1), VNET_MASK((n) + 2), VNET_MASK((n) + 3)
static const uint64_t input_masks[VNET_TOEPLITZ_GFNI_MAX_INPUT + 1] = {
    VNET_MASKS4(0), VNET_MASKS4(4), VNET_MASKS4(8), VNET_MASKS4(12), VNET_MASKS4(16),
    VNET_MASKS4(20), VNET_MASKS4(24), VNET_MASKS4(28), VNET_MASKS4(32), VNET_MASK(36),
};

/* length bytes (at most 36) at input, zero-extended to 64; the masked load touches no byte past
 * the end. */
VNET_GFNI_INLINE __m512i load_input(const uint8_t *input, size_t length) {
    return _mm512_maskz_loadu_epi8(input_masks[length], input);
}

static inline uint32_t load_word(const uint8_t *bytes) {
    uint32_t word;
    memcpy(&word, bytes, sizeof word);
    return word;
}

/* source || destination || ports, zero-extended to 64 bytes. In most frames the three lie back to
 * back (IPv4 without options, IPv6 without extension headers): then one masked load. */
VNET_GFNI_INLINE __m512i load_tuple(const vnet_toeplitz_tuple *tuple) {
    const uint8_t *source = tuple->source;
    size_t width = tuple->address_length;
    if (width != 4 && width != 16) return _mm512_setzero_si512();
    if (tuple->destination == source + width && (tuple->ports == NULL || tuple->ports == source + 2 * width)) {
        return load_input(source, 2 * width + (tuple->ports ? 4 : 0));
    }
    uint32_t ports = tuple->ports ? load_word(tuple->ports) : 0;
    if (width == 4) {
        return _mm512_zextsi128_si512(_mm_setr_epi32((int)load_word(source), (int)load_word(tuple->destination), (int)ports, 0));
    }
    __m512i bytes = _mm512_zextsi128_si512(_mm_loadu_si128((const __m128i *)source));
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)tuple->destination), 1);
    return _mm512_inserti32x4(bytes, _mm_cvtsi32_si128((int)ports), 2);
}

/* 2 vectors for IPv4, 5 for IPv6, as vectors_for the tuple's length. */
static inline unsigned tuple_vectors(const vnet_toeplitz_tuple *tuple) {
    return tuple->address_length == 16 ? 5 : 2;
}

VNET_GFNI_TARGET uint32_t vnet_toeplitz_gfni(const uint64_t *matrices, const uint8_t *input, size_t length) {
    if (length > VNET_TOEPLITZ_GFNI_MAX_INPUT) length = VNET_TOEPLITZ_GFNI_MAX_INPUT;
    __m512i bytes = load_input(input, length);
    __m512i sum = vectors_for(length) <= 2 ? single_products(matrices, bytes, 2) : single_products(matrices, bytes, 5);
    return first_hash(fold(sum));
}

VNET_GFNI_TARGET uint32_t vnet_toeplitz_gfni_narrow(const uint64_t *matrices, const uint8_t *input, size_t length) {
    return first_hash(fold(narrow_products(matrices, load_input(input, length))));
}

VNET_GFNI_TARGET uint32_t vnet_toeplitz_gfni_wide(const uint64_t *matrices, const uint8_t *input, size_t length) {
    return first_hash(fold(single_products(matrices, load_input(input, length), 5)));
}

VNET_GFNI_TARGET void vnet_toeplitz_gfni_strided(const uint64_t *matrices, const uint8_t *inputs, size_t stride,
                                                 size_t length, size_t count, uint32_t *hashes) {
    if (length > VNET_TOEPLITZ_GFNI_MAX_INPUT) length = VNET_TOEPLITZ_GFNI_MAX_INPUT;
    int narrow = vectors_for(length) <= 2;
    size_t i = 0;
    for (; i + 2 <= count; i += 2) {
        __m512i first = load_input(inputs + i * stride, length);
        __m512i second = load_input(inputs + (i + 1) * stride, length);
        uint64_t folded = fold(narrow ? pair_products(matrices, first, second, 2) : pair_products(matrices, first, second, 5));
        hashes[i] = first_hash(folded);
        hashes[i + 1] = second_hash(folded);
    }
    if (i < count) hashes[i] = vnet_toeplitz_gfni(matrices, inputs + i * stride, length);
}

VNET_GFNI_TARGET uint32_t vnet_toeplitz_gfni_tuple(const uint64_t *matrices, const vnet_toeplitz_tuple *tuple) {
    __m512i bytes = load_tuple(tuple);
    __m512i sum = tuple_vectors(tuple) <= 2 ? single_products(matrices, bytes, 2) : single_products(matrices, bytes, 5);
    return first_hash(fold(sum));
}

VNET_GFNI_TARGET void vnet_toeplitz_gfni_tuples(const uint64_t *matrices, const vnet_toeplitz_tuple *tuples, size_t count,
                                                uint32_t *hashes) {
    size_t i = 0;
    for (; i + 2 <= count; i += 2) {
        __m512i first = load_tuple(tuples + i), second = load_tuple(tuples + i + 1);
        int narrow = tuple_vectors(tuples + i) <= 2 && tuple_vectors(tuples + i + 1) <= 2;
        uint64_t folded = fold(narrow ? pair_products(matrices, first, second, 2) : pair_products(matrices, first, second, 5));
        hashes[i] = first_hash(folded);
        hashes[i + 1] = second_hash(folded);
    }
    if (i < count) hashes[i] = vnet_toeplitz_gfni_tuple(matrices, tuples + i);
}

#else
int vnet_toeplitz_gfni_supported(void) { return 0; }
uint32_t vnet_toeplitz_gfni_narrow(const uint64_t *matrices, const uint8_t *input, size_t length) {
    (void)matrices; (void)input; (void)length;
    return 0;
}
uint32_t vnet_toeplitz_gfni_wide(const uint64_t *matrices, const uint8_t *input, size_t length) {
    (void)matrices; (void)input; (void)length;
    return 0;
}
uint32_t vnet_toeplitz_gfni(const uint64_t *matrices, const uint8_t *input, size_t length) {
    (void)matrices; (void)input; (void)length;
    return 0;
}
void vnet_toeplitz_gfni_strided(const uint64_t *matrices, const uint8_t *inputs, size_t stride, size_t length,
                                size_t count, uint32_t *hashes) {
    (void)matrices; (void)inputs; (void)stride; (void)length;
    for (size_t i = 0; i < count; i++) hashes[i] = 0;
}
uint32_t vnet_toeplitz_gfni_tuple(const uint64_t *matrices, const vnet_toeplitz_tuple *tuple) {
    (void)matrices; (void)tuple;
    return 0;
}
void vnet_toeplitz_gfni_tuples(const uint64_t *matrices, const vnet_toeplitz_tuple *tuples, size_t count, uint32_t *hashes) {
    (void)matrices; (void)tuples;
    for (size_t i = 0; i < count; i++) hashes[i] = 0;
}
#endif
