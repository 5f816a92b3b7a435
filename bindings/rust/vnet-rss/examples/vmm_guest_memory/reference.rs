//! The check, without the library: what the virtio spec says a device reports for a frame (a
//! bit-by-bit Toeplitz over the frame's own fields) and the queue it delivers the frame to.

use std::ops::Range;

use crate::rss_settings::RssSettings;
use crate::{REPORT_IPV4, REPORT_IPV6, REPORT_NONE, REPORT_TCPV4, REPORT_TCPV6, REPORT_UDPV4, REPORT_UDPV6};

/// Toeplitz as the virtio spec words it: input bit j adds the key bits [j, j + 32).
fn toeplitz(key: &[u8], input: &[u8]) -> u32 {
    let mut result = 0u32;
    for bit in 0..8 * input.len() {
        if input[bit / 8] & (0x80 >> (bit % 8)) == 0 {
            continue;
        }
        let mut window = 0u32;
        for k in 0..32 {
            window = window << 1 | u32::from((key[(bit + k) / 8] >> (7 - (bit + k) % 8)) & 1);
        }
        result ^= window;
    }
    result
}

/// What a device must report for a frame, and where it must deliver it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) hash: u32,
    pub(crate) report: u16,
    pub(crate) queue: u16,
}

/// The virtio spec's hash for `frame` with every hash type enabled: over the source and
/// destination addresses, and the ports for TCP and UDP; the queue from the indirection table;
/// anything else unclassified, to unclassified_queue.
pub(crate) fn expected_delivery(frame: &[u8], settings: &RssSettings) -> Expected {
    let unclassified = Expected { hash: 0, report: REPORT_NONE, queue: settings.unclassified_queue };
    let Some(ip) = IpHeader::parse(frame) else { return unclassified };
    let has_ports = match ip.protocol {
        6 => frame.len() >= ip.transport + 20,
        17 => frame.len() >= ip.transport + 8,
        _ => false,
    };
    let mut input = frame[ip.addresses.clone()].to_vec();
    if has_ports {
        input.extend_from_slice(&frame[ip.transport..ip.transport + 4]);
    }
    let report = match (ip.ipv6, has_ports, ip.protocol) {
        (false, false, _) => REPORT_IPV4,
        (false, true, 6) => REPORT_TCPV4,
        (false, true, _) => REPORT_UDPV4,
        (true, false, _) => REPORT_IPV6,
        (true, true, 6) => REPORT_TCPV6,
        (true, true, _) => REPORT_UDPV6,
    };
    let hash = toeplitz(&settings.key, &input);
    let queue = settings.table[hash as usize & (settings.table.len() - 1)];
    Expected { hash, report, queue }
}

/// Where an IP frame's fields lie.
struct IpHeader {
    /// The source and destination addresses.
    addresses: Range<usize>,
    /// Where the transport header starts.
    transport: usize,
    protocol: u8,
    ipv6: bool,
}

impl IpHeader {
    /// An IPv4 frame that is not a fragment, or an IPv6 frame (without extension headers: this
    /// program sends none).
    fn parse(frame: &[u8]) -> Option<IpHeader> {
        let l3 = 14;
        match frame.get(12..14)? {
            [0x08, 0x00] if frame.len() >= l3 + 20 && frame[l3] >> 4 == 4 => {
                let transport = l3 + 4 * usize::from(frame[l3] & 0x0f);
                let fragment = u16::from_be_bytes([frame[l3 + 6], frame[l3 + 7]]) & 0x3fff;
                if fragment != 0 || transport < l3 + 20 || frame.len() < transport {
                    return None;
                }
                Some(IpHeader { addresses: l3 + 12..l3 + 20, transport, protocol: frame[l3 + 9], ipv6: false })
            }
            [0x86, 0xdd] if frame.len() >= l3 + 40 => {
                Some(IpHeader { addresses: l3 + 8..l3 + 40, transport: l3 + 40, protocol: frame[l3 + 6], ipv6: true })
            }
            _ => None,
        }
    }
}
