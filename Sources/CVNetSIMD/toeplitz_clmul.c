#include "vnet_toeplitz_clmul.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define VNET_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
#endif

static uint64_t reverse64(uint64_t value) {
    value = ((value >> 1) & 0x5555555555555555ULL) | ((value & 0x5555555555555555ULL) << 1);
    value = ((value >> 2) & 0x3333333333333333ULL) | ((value & 0x3333333333333333ULL) << 2);
    value = ((value >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((value & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(value);
}

static uint32_t reverse32(uint32_t value) {
    return (uint32_t)(reverse64(value) >> 32);
}

static uint32_t load_be32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

int vnet_toeplitz_clmul_prepare(const uint8_t *key, size_t key_length, uint64_t slices[VNET_TOEPLITZ_MAX_WORDS]) {
    if (key_length < 8) return 0;
    size_t words = (key_length - 4) / 4;
    if (words > VNET_TOEPLITZ_MAX_WORDS) words = VNET_TOEPLITZ_MAX_WORDS;
    for (size_t j = 0; j < words; j++) {
        uint64_t slice = 0;
        for (size_t i = 0; i < 8; i++) slice = slice << 8 | key[4 * j + i];
        slices[j] = reverse64(slice);
    }
    return (int)words;
}

#if defined(__x86_64__)
int vnet_toeplitz_clmul_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

/* Two words per step: their 8 bytes are byte-swapped into the low halves of the two 64-bit
 * lanes, and each lane is multiplied by its key slice (selectors 0x00 and 0x11). The products
 * stay in vector registers; only the low 64 bits of each hold the bits the hash takes. */
VNET_CLMUL_TARGET static inline __m128i pair(const uint64_t *slices, const uint8_t *input) {
    const __m128i swap = _mm_setr_epi8(3, 2, 1, 0, -1, -1, -1, -1, 7, 6, 5, 4, -1, -1, -1, -1);
    __m128i words = _mm_shuffle_epi8(_mm_loadl_epi64((const __m128i *)input), swap);
    __m128i keys = _mm_loadu_si128((const __m128i *)slices);
    return _mm_xor_si128(_mm_clmulepi64_si128(keys, words, 0x00), _mm_clmulepi64_si128(keys, words, 0x11));
}

VNET_CLMUL_TARGET static inline __m128i single(const uint64_t *slices, const uint8_t *input) {
    __m128i word = _mm_cvtsi32_si128((int)load_be32(input));
    return _mm_clmulepi64_si128(_mm_loadl_epi64((const __m128i *)slices), word, 0x00);
}

VNET_CLMUL_TARGET static inline uint64_t words(const uint64_t *slices, const uint8_t *input, size_t count) {
    __m128i even = _mm_setzero_si128(), odd = _mm_setzero_si128();
    size_t j = 0;
    for (; j + 4 <= count; j += 4) {
        even = _mm_xor_si128(even, pair(slices + j, input + 4 * j));
        odd = _mm_xor_si128(odd, pair(slices + j + 2, input + 4 * j + 8));
    }
    if (j + 2 <= count) {
        even = _mm_xor_si128(even, pair(slices + j, input + 4 * j));
        j += 2;
    }
    if (j < count) odd = _mm_xor_si128(odd, single(slices + j, input + 4 * j));
    return (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(even, odd));
}

static inline uint32_t finish(uint64_t accumulated) {
    return reverse32((uint32_t)(accumulated >> 31));
}

VNET_CLMUL_TARGET uint32_t vnet_toeplitz_clmul(const uint64_t *slices, const uint8_t *input, size_t length) {
    return finish(words(slices, input, length / 4));
}

VNET_CLMUL_TARGET uint32_t vnet_toeplitz_clmul_tuple(const uint64_t *slices, const uint8_t *source, const uint8_t *destination,
                                                     size_t address_length, const uint8_t *ports) {
    size_t address_words = address_length / 4;
    uint64_t accumulated = words(slices, source, address_words) ^ words(slices + address_words, destination, address_words);
    if (ports) accumulated ^= (uint64_t)_mm_cvtsi128_si64(single(slices + 2 * address_words, ports));
    return finish(accumulated);
}

#else
int vnet_toeplitz_clmul_supported(void) { return 0; }
uint32_t vnet_toeplitz_clmul(const uint64_t *slices, const uint8_t *input, size_t length) {
    (void)slices; (void)input; (void)length;
    return 0;
}
uint32_t vnet_toeplitz_clmul_tuple(const uint64_t *slices, const uint8_t *source, const uint8_t *destination,
                                   size_t address_length, const uint8_t *ports) {
    (void)slices; (void)source; (void)destination; (void)address_length; (void)ports;
    return 0;
}
#endif
