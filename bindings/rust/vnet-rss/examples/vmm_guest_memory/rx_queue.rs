//! The device's side of a receive virtqueue: it pops chains, checking every descriptor as a
//! device must, and publishes used entries.

use std::fmt;
use std::sync::atomic::Ordering;

use vnet_rss::sys;

use crate::guest_memory::GuestMemory;
use crate::virtqueue::{Descriptor, RingLayout, Segment, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE};
use crate::CHAIN_MAX_SEGMENTS;

/// Why a queue thread refused what the guest posted: what a device must not follow.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ChainError {
    /// More chains in the avail ring than it has slots.
    RingOverrun,
    /// A head or next index past the descriptor table.
    DescriptorOutOfRange(u16),
    /// A descriptor the device may not write into (a receive buffer must be VIRTQ_DESC_F_WRITE).
    NotWritable(u16),
    /// VIRTQ_DESC_F_INDIRECT, which this device did not offer.
    Indirect(u16),
    /// A buffer outside guest memory.
    OutsideMemory { address: u64, length: u32 },
    /// More descriptors than CHAIN_MAX_SEGMENTS (or a loop).
    TooLong,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::RingOverrun => write!(f, "more chains available than the ring holds"),
            ChainError::DescriptorOutOfRange(index) => write!(f, "descriptor {index} past the table"),
            ChainError::NotWritable(index) => write!(f, "descriptor {index} is not device-writable"),
            ChainError::Indirect(index) => write!(f, "descriptor {index} is indirect"),
            ChainError::OutsideMemory { address, length } => {
                write!(f, "buffer {address:#x}+{length} outside guest memory")
            }
            ChainError::TooLong => write!(f, "a chain longer than {CHAIN_MAX_SEGMENTS} descriptors"),
        }
    }
}

/// A chain a queue thread popped: its head and the bytes it holds (its buffers follow the
/// previous chains' in the thread's arrays).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chain {
    pub(crate) head: u16,
    pub(crate) capacity: u32,
}

/// A receive virtqueue as the device keeps it: its indices into the two rings.
pub(crate) struct RxQueue {
    layout: RingLayout,
    /// avail entries taken so far.
    last_avail: u16,
    /// used.idx as the device will publish it next.
    used_idx: u16,
}

impl RxQueue {
    pub(crate) fn new(layout: RingLayout) -> RxQueue {
        RxQueue { layout, last_avail: 0, used_idx: 0 }
    }

    /// Pops the next available chain (acquire on avail.idx), its buffers appended to `segments`
    /// and, as host addresses, to `iovecs`. None when the guest posted none.
    pub(crate) fn pop(
        &mut self,
        memory: &GuestMemory,
        segments: &mut Vec<Segment>,
        iovecs: &mut Vec<sys::iovec>,
    ) -> Result<Option<Chain>, ChainError> {
        let idx = memory.atomic_u16(self.layout.avail_idx()).ok_or(ChainError::RingOverrun)?;
        let available = u16::from_le(idx.load(Ordering::Acquire)).wrapping_sub(self.last_avail);
        if available == 0 {
            return Ok(None);
        }
        if available > self.layout.size {
            return Err(ChainError::RingOverrun);
        }
        let head = memory.read_u16(self.layout.avail_entry(self.last_avail)).ok_or(ChainError::RingOverrun)?;
        let start = segments.len();
        let capacity = self.walk(memory, head, segments, iovecs).inspect_err(|_| {
            segments.truncate(start);
            iovecs.truncate(start);
        })?;
        self.last_avail = self.last_avail.wrapping_add(1);
        Ok(Some(Chain { head, capacity }))
    }

    /// Follows the chain at `head`, checking each descriptor as a device must; returns the bytes
    /// it holds.
    fn walk(
        &self,
        memory: &GuestMemory,
        head: u16,
        segments: &mut Vec<Segment>,
        iovecs: &mut Vec<sys::iovec>,
    ) -> Result<u32, ChainError> {
        let mut index = head;
        let mut capacity = 0u32;
        for _ in 0..CHAIN_MAX_SEGMENTS {
            if index >= self.layout.size {
                return Err(ChainError::DescriptorOutOfRange(index));
            }
            let descriptor = Descriptor::read(memory, self.layout.descriptor(index))
                .ok_or(ChainError::DescriptorOutOfRange(index))?;
            if descriptor.flags & VIRTQ_DESC_F_INDIRECT != 0 {
                return Err(ChainError::Indirect(index));
            }
            if descriptor.flags & VIRTQ_DESC_F_WRITE == 0 {
                return Err(ChainError::NotWritable(index));
            }
            let outside = ChainError::OutsideMemory { address: descriptor.address, length: descriptor.length };
            let host = memory.host_address(descriptor.address, u64::from(descriptor.length)).ok_or(outside)?;
            segments.push(Segment { address: descriptor.address, length: descriptor.length });
            iovecs.push(sys::iovec { iov_base: host.cast(), iov_len: descriptor.length as usize });
            capacity = capacity.saturating_add(descriptor.length);
            if descriptor.flags & VIRTQ_DESC_F_NEXT == 0 {
                return Ok(capacity);
            }
            index = descriptor.next;
        }
        Err(ChainError::TooLong)
    }

    /// Gives the last `count` popped chains back, unused: the next pops take them again.
    pub(crate) fn give_back(&mut self, count: usize) {
        self.last_avail = self.last_avail.wrapping_sub(count as u16);
    }

    /// Adds used entry (`head`, `length`), seen by the driver after `publish_used`.
    pub(crate) fn add_used(&mut self, memory: &GuestMemory, head: u16, length: u32) {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        bytes[4..].copy_from_slice(&length.to_le_bytes());
        memory.write_array(self.layout.used_entry(self.used_idx), bytes).expect("the used ring is in guest memory");
        self.used_idx = self.used_idx.wrapping_add(1);
    }

    /// Publishes the entries added so far, a mergeable frame's chains all at once: release on
    /// used.idx, so the frame's bytes and its entries are visible to the driver before the index.
    pub(crate) fn publish_used(&self, memory: &GuestMemory) {
        let idx = memory.atomic_u16(self.layout.used_idx()).expect("used.idx is in guest memory");
        idx.store(self.used_idx.to_le(), Ordering::Release);
    }
}
