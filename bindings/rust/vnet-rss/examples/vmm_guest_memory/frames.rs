//! The guest: its traffic, the frames it sends into the tap, each tagged with its phase and number.

use crate::{FRAME_MAX, MACS, TAG_SIZE};

/// Frame `number` of `phase`: IPv4 and IPv6 with TCP, UDP and ICMP in turn, ARP now and then
/// (unclassified), 60 to 1,514 bytes, tagged at its end.
pub(crate) fn build_frame(phase: u8, number: u16) -> Vec<u8> {
    let arp = number % 50 == 49;
    let kind = number % 6;
    let ipv6 = kind == 2 || kind == 3 || kind == 5;
    let protocol = match kind {
        0 | 2 => 6,
        1 | 3 => 17,
        4 => 1,
        _ => 58,
    };
    let l3 = 14;
    let l4 = l3 + if ipv6 { 40 } else { 20 };
    let end = if arp {
        l3 + 28
    } else {
        l4 + match protocol {
            6 => 20,
            17 => 8,
            _ => 4,
        }
    };
    let length = (60 + usize::from(number) * 97 % (FRAME_MAX - 59)).max(end + TAG_SIZE);
    let mut frame = vec![0xa5; length];
    frame[..12].copy_from_slice(&MACS);
    let [high, low] = number.to_be_bytes();
    if arp {
        frame[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
        frame[l3..l3 + 8].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]); // Ethernet, IPv4, request
        frame[l3 + 8..end].fill(0);
    } else if ipv6 {
        frame[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
        frame[l3..l3 + 8].copy_from_slice(&[0x60, 0, 0, 0, 0, 0, protocol, 64]);
        frame[l3 + 4..l3 + 6].copy_from_slice(&((length - l4) as u16).to_be_bytes());
        frame[l3 + 8..l4].fill(0);
        frame[l3 + 8] = 0xfd;
        frame[l3 + 21] = phase;
        frame[l3 + 22..l3 + 24].copy_from_slice(&[high, low]);
        frame[l3 + 24] = 0xfd;
        frame[l3 + 39] = 1;
    } else {
        frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        let header = [0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0, 10, 1 + phase, high, low, 10, 0, 0, 1];
        frame[l3..l4].copy_from_slice(&header);
        frame[l3 + 2..l3 + 4].copy_from_slice(&((length - l3) as u16).to_be_bytes());
    }
    if !arp {
        write_transport_header(&mut frame[l4..end], protocol, number, length - l4);
    }
    frame[length - TAG_SIZE..].copy_from_slice(&[b'V', b'R', phase, high, low]);
    frame
}

/// TCP (no options), UDP or an ICMP echo request at the start of `header`, with ports varying by
/// frame number.
fn write_transport_header(header: &mut [u8], protocol: u8, number: u16, transport_length: usize) {
    header.fill(0);
    match protocol {
        6 | 17 => {
            let source_port = 1024u16.wrapping_add(number.wrapping_mul(7));
            let destination_port: u16 = if protocol == 6 { 443 } else { 53 };
            header[0..2].copy_from_slice(&source_port.to_be_bytes());
            header[2..4].copy_from_slice(&destination_port.to_be_bytes());
            if protocol == 6 {
                header[12] = 0x50; // data offset: 5 words
            } else {
                header[4..6].copy_from_slice(&(transport_length as u16).to_be_bytes());
            }
        }
        1 => header[0] = 8,   // ICMP echo request
        _ => header[0] = 128, // ICMPv6 echo request
    }
}

/// The phase and number a frame carries, for a frame this program built.
pub(crate) fn identify(frame: &[u8]) -> Option<(u8, u16)> {
    if frame.len() < 14 + TAG_SIZE || frame[..12] != MACS {
        return None;
    }
    match frame[frame.len() - TAG_SIZE..] {
        [b'V', b'R', phase, high, low] if phase < 2 => Some((phase, u16::from_be_bytes([high, low]))),
        _ => None,
    }
}
