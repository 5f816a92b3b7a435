/* A cache prefetch the Swift datapath can call: Swift has no prefetch of its own. Inlined into
 * the caller (static inline, no target features needed). */
#ifndef VNET_PREFETCH_H
#define VNET_PREFETCH_H

/* Asks for the cache line at address, for reading, kept in every cache level. A hint: no fault
 * even for an invalid address. */
static inline void vnet_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
