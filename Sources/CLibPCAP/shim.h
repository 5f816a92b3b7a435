// libpcap, as imported into Swift by the VNetCapture target.
#ifndef VNET_RSS_CLIBPCAP_SHIM_H
#define VNET_RSS_CLIBPCAP_SHIM_H
/* No feature macros: every C header Swift imports here is read with the same ones as the
 * toolchain's Glibc module (none), or their struct definitions (fd_set, ...) would disagree. */
#include <pcap/pcap.h>
#endif
