/* The vectorised Toeplitz kernels of vnet-rss. */
#ifndef VNET_SIMD_H
#define VNET_SIMD_H
#include "vnet_toeplitz_tuple.h"
#include "vnet_toeplitz_clmul.h"
#include "vnet_toeplitz_gfni.h"
#endif
