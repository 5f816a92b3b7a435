//! The check: every packet the guest received against the frame sent and what the reference says
//! the device reports for it.

use crate::frames::{build_frame, identify};
use crate::guest_receiver::ReceivedPacket;
use crate::reference::expected_delivery;
use crate::rss_settings::RssSettings;
use crate::virtqueue::ChainShape;
use crate::{FRAMES_PER_PHASE, HEADER_SIZE, MERGEABLE_BUFFER};

/// How the received packets compare with what was sent.
#[derive(Default)]
pub(crate) struct Verdict {
    pub(crate) verified: u64,
    pub(crate) mismatched: u64,
    pub(crate) not_ours: u64,
}

/// Checks every packet the guest received: a frame sent, once, whole, on the queue the guest's
/// configuration names, with hash_value, hash_report, padding and num_buffers right.
pub(crate) fn verify(packets: &[ReceivedPacket], settings: &[RssSettings; 2]) -> Verdict {
    let mut verdict = Verdict::default();
    let mut seen_before = vec![[false; FRAMES_PER_PHASE as usize]; 2];
    for packet in packets {
        let frame = &packet.bytes[HEADER_SIZE.min(packet.bytes.len())..];
        let Some((phase, number)) = identify(frame) else {
            verdict.not_ours += 1;
            continue;
        };
        let Some(seen) = seen_before[usize::from(phase)].get_mut(usize::from(number)) else {
            report_mismatch(&mut verdict, phase, number, "a number never sent".to_string());
            continue;
        };
        let first_time = !std::mem::replace(seen, true);
        match check_packet(packet, phase, number, &settings[usize::from(phase)]) {
            Ok(()) if first_time => verdict.verified += 1,
            Ok(()) => report_mismatch(&mut verdict, phase, number, "received twice".to_string()),
            Err(reason) => report_mismatch(&mut verdict, phase, number, reason),
        }
    }
    verdict
}

fn report_mismatch(verdict: &mut Verdict, phase: u8, number: u16, reason: String) {
    verdict.mismatched += 1;
    if verdict.mismatched <= 5 {
        eprintln!("vmm_guest_memory: frame {number} of phase {phase}: {reason}");
    }
}

/// One packet against frame `number` of `phase` as sent and as the spec says it is delivered.
fn check_packet(packet: &ReceivedPacket, phase: u8, number: u16, settings: &RssSettings) -> Result<(), String> {
    let sent = build_frame(phase, number);
    let (header, frame) = packet.bytes.split_at(HEADER_SIZE);
    if frame != &sent[..] {
        return Err(format!("{} bytes received, not the {} sent", frame.len(), sent.len()));
    }
    let expected = expected_delivery(&sent, settings);
    let le16 = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
    let hash_value = u32::from_le_bytes([header[12], header[13], header[14], header[15]]);
    let (num_buffers, hash_report, padding) = (le16(10), le16(16), le16(18));
    let expected_buffers = if ChainShape::BY_QUEUE[usize::from(packet.queue)] == ChainShape::Mergeable {
        packet.bytes.len().div_ceil(MERGEABLE_BUFFER as usize) as u16
    } else {
        1
    };
    if packet.queue != expected.queue {
        return Err(format!("on queue {}, RSS names {}", packet.queue, expected.queue));
    }
    if (hash_value, hash_report, padding) != (expected.hash, expected.report, 0) {
        return Err(format!(
            "hash {hash_value:08x} report {hash_report} padding {padding}, want {:08x} {} 0",
            expected.hash, expected.report
        ));
    }
    if num_buffers != expected_buffers || packet.used_entries != expected_buffers {
        return Err(format!(
            "num_buffers {num_buffers} over {} used entries, want {expected_buffers}",
            packet.used_entries
        ));
    }
    Ok(())
}
