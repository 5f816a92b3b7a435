//! The guest: its receive side, which reads the used rings like a driver, reposting the buffers,
//! and sends each phase's frames into the tap.

use std::thread;
use std::time::{Duration, Instant};

use crate::frames::{build_frame, identify};
use crate::guest_memory::GuestMemory;
use crate::netns;
use crate::rx_driver::RxDriver;
use crate::virtqueue::ChainShape;
use crate::{BURST, FRAMES_PER_PHASE, FRAME_MAX, HEADER_SIZE, PHASE_DEADLINE};

/// A packet the guest's driver took from a receive virtqueue: the header and the frame, gathered
/// from the buffers of as many used entries as num_buffers says.
pub(crate) struct ReceivedPacket {
    pub(crate) queue: u16,
    pub(crate) bytes: Vec<u8>,
    pub(crate) used_entries: u16,
}

/// The guest's receive virtqueues and what its driver took from them.
pub(crate) struct GuestReceiver {
    pub(crate) drivers: Vec<RxDriver>,
    pub(crate) packets: Vec<ReceivedPacket>,
    /// Frames of ours received, per phase.
    pub(crate) arrived: [u64; 2],
    /// Used entries the driver could not make sense of.
    pub(crate) broken: u64,
}

impl GuestReceiver {
    /// Takes every published used entry of every queue, gathering each packet and posting its
    /// buffers again.
    fn poll(&mut self, memory: &GuestMemory) {
        for queue in 0..self.drivers.len() {
            while let Some(packet) = self.take_packet(memory, queue) {
                if let Some((phase, _)) = identify(&packet.bytes[HEADER_SIZE.min(packet.bytes.len())..]) {
                    self.arrived[usize::from(phase)] += 1;
                }
                self.packets.push(packet);
            }
        }
    }

    /// The next packet of receive queue `queue`: one used entry, or for mergeable buffers as many
    /// as the first buffer's num_buffers says.
    fn take_packet(&mut self, memory: &GuestMemory, queue: usize) -> Option<ReceivedPacket> {
        let driver = &mut self.drivers[queue];
        let first = driver.next_used(memory)?;
        let mut bytes = Vec::with_capacity(HEADER_SIZE + FRAME_MAX);
        let mut whole = driver.gather(memory, first, &mut bytes);
        driver.post(memory, first.id);
        let mut used_entries = 1u16;
        if driver.shape == ChainShape::Mergeable && bytes.len() >= HEADER_SIZE {
            let wanted = u16::from_le_bytes([bytes[10], bytes[11]]);
            while used_entries < wanted {
                let Some(next) = driver.next_used(memory) else { break };
                whole &= driver.gather(memory, next, &mut bytes);
                driver.post(memory, next.id);
                used_entries += 1;
            }
        }
        driver.publish(memory);
        if !whole {
            self.broken += 1;
        }
        Some(ReceivedPacket { queue: queue as u16, bytes, used_entries })
    }

    /// Reads the used rings until at most `in_flight` of the `sent` frames of `phase` are
    /// outstanding, or the deadline.
    fn drain(&mut self, memory: &GuestMemory, phase: u8, sent: u64, in_flight: u64, deadline: Instant) {
        loop {
            self.poll(memory);
            if sent - self.arrived[usize::from(phase)].min(sent) <= in_flight || Instant::now() >= deadline {
                return;
            }
            thread::sleep(Duration::from_micros(200));
        }
    }
}

/// Sends the frames of `phase` into the tap, at most BURST in flight, and waits for them all
/// (or the phase's deadline). Returns how many were sent.
pub(crate) fn run_phase(
    socket: &netns::PacketSocket,
    guest: &mut GuestReceiver,
    memory: &GuestMemory,
    phase: u8,
) -> u64 {
    let deadline = Instant::now() + PHASE_DEADLINE;
    let mut sent = 0;
    for number in 0..FRAMES_PER_PHASE {
        if Instant::now() >= deadline || socket.send(&build_frame(phase, number), 10_000).is_err() {
            break;
        }
        sent += 1;
        guest.drain(memory, phase, sent, BURST, deadline);
    }
    guest.drain(memory, phase, sent, 0, deadline);
    sent
}
