// liburing (Debian liburing-dev 2.3), as imported into Swift by VNetTap.
#ifndef VNET_RSS_CLIBURING_SHIM_H
#define VNET_RSS_CLIBURING_SHIM_H
/* No feature macros: every C header Swift imports here is read with the same ones as the
 * toolchain's Glibc module (none), or their struct definitions (fd_set, ...) would disagree. */
#include <liburing.h>
#endif
