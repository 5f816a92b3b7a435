//! The guest driver's side of a receive virtqueue: it posts chains, reads the used ring and
//! gathers the bytes the device wrote.

use std::io;
use std::sync::atomic::Ordering;

use crate::guest_memory::{GuestAllocator, GuestMemory};
use crate::virtqueue::{
    array_at, ChainShape, Descriptor, RingLayout, Segment, UsedElement, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE,
};
use crate::QUEUE_SIZE;

/// A receive virtqueue as the guest's driver keeps it: the chains it posted, by head descriptor,
/// and its indices into the two rings.
pub(crate) struct RxDriver {
    pub(crate) layout: RingLayout,
    pub(crate) shape: ChainShape,
    /// The buffers of the chain whose head is each descriptor (None for descriptors inside a
    /// chain).
    chains: Vec<Option<Vec<Segment>>>,
    /// avail.idx as the driver will publish it next.
    avail_idx: u16,
    /// used entries read so far.
    last_used: u16,
}

impl RxDriver {
    /// A virtqueue in guest memory, filled with as many chains of `shape` as its descriptors
    /// hold, all posted.
    pub(crate) fn new(memory: &GuestMemory, allocator: &mut GuestAllocator, shape: ChainShape) -> io::Result<RxDriver> {
        let layout = RingLayout::allocate(allocator, QUEUE_SIZE)?;
        let mut driver =
            RxDriver { layout, shape, chains: vec![None; usize::from(QUEUE_SIZE)], avail_idx: 0, last_used: 0 };
        let mut next_descriptor = 0usize;
        for number in 0.. {
            let lengths = shape.lengths(number);
            if next_descriptor + lengths.len() > usize::from(QUEUE_SIZE) {
                break;
            }
            let head = next_descriptor as u16;
            let segments = driver.write_chain(memory, allocator, head, lengths)?;
            driver.chains[usize::from(head)] = Some(segments);
            driver.post(memory, head);
            next_descriptor += lengths.len();
        }
        driver.publish(memory);
        Ok(driver)
    }

    /// Buffers of `lengths` bytes, described by descriptors `head..`, device-writable and linked.
    fn write_chain(
        &self,
        memory: &GuestMemory,
        allocator: &mut GuestAllocator,
        head: u16,
        lengths: &[u32],
    ) -> io::Result<Vec<Segment>> {
        let mut segments = Vec::with_capacity(lengths.len());
        for (offset, &length) in lengths.iter().enumerate() {
            let index = head + offset as u16;
            let last = offset + 1 == lengths.len();
            let segment = Segment { address: allocator.allocate(u64::from(length), 8)?, length };
            let descriptor = Descriptor {
                address: segment.address,
                length,
                flags: VIRTQ_DESC_F_WRITE | if last { 0 } else { VIRTQ_DESC_F_NEXT },
                next: if last { 0 } else { index + 1 },
            };
            descriptor.write(memory, self.layout.descriptor(index)).ok_or_else(|| io::Error::other("descriptor"))?;
            segments.push(segment);
        }
        Ok(segments)
    }

    /// Adds the chain at `head` to the avail ring (seen by the device after `publish`).
    pub(crate) fn post(&mut self, memory: &GuestMemory, head: u16) {
        memory.write_u16(self.layout.avail_entry(self.avail_idx), head).expect("the avail ring is in guest memory");
        self.avail_idx = self.avail_idx.wrapping_add(1);
    }

    /// Publishes the chains posted so far: release on avail.idx, so their entries (and the
    /// buffers' emptiness) are visible to the device before the index is.
    pub(crate) fn publish(&self, memory: &GuestMemory) {
        let idx = memory.atomic_u16(self.layout.avail_idx()).expect("avail.idx is in guest memory");
        idx.store(self.avail_idx.to_le(), Ordering::Release);
    }

    /// The next used entry, if the device published one (acquire on used.idx).
    pub(crate) fn next_used(&mut self, memory: &GuestMemory) -> Option<UsedElement> {
        let published = u16::from_le(memory.atomic_u16(self.layout.used_idx())?.load(Ordering::Acquire));
        if published == self.last_used {
            return None;
        }
        let at = self.layout.used_entry(self.last_used);
        let bytes: [u8; 8] = memory.read_array(at)?;
        self.last_used = self.last_used.wrapping_add(1);
        let id = u32::from_le_bytes(array_at(&bytes, 0));
        Some(UsedElement { id: u16::try_from(id).unwrap_or(u16::MAX), length: u32::from_le_bytes(array_at(&bytes, 4)) })
    }

    /// Appends the bytes the device wrote into the chain of `used` to `out`; false for a chain the
    /// driver never posted or a length past its buffers.
    pub(crate) fn gather(&self, memory: &GuestMemory, used: UsedElement, out: &mut Vec<u8>) -> bool {
        let Some(Some(segments)) = self.chains.get(usize::from(used.id)) else { return false };
        let mut remaining = used.length as usize;
        for segment in segments {
            let take = remaining.min(segment.length as usize);
            let start = out.len();
            out.resize(start + take, 0);
            if memory.read_bytes(segment.address, &mut out[start..]).is_none() {
                return false;
            }
            remaining -= take;
        }
        remaining == 0
    }
}
