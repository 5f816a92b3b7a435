// libnl-3 and libnl-route-3 (Debian libnl-3-dev, libnl-route-3-dev), as imported by VNetTap.
#ifndef VNET_RSS_CLIBNL_SHIM_H
#define VNET_RSS_CLIBNL_SHIM_H
/* No feature macros: every C header Swift imports here is read with the same ones as the
 * toolchain's Glibc module (none), or their struct definitions (fd_set, ...) would disagree. */
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/errno.h>
#endif
