// libpcap, as imported into Swift by the VNetCapture target.
#ifndef VNET_RSS_CLIBPCAP_SHIM_H
#define VNET_RSS_CLIBPCAP_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <pcap/pcap.h>
#endif
