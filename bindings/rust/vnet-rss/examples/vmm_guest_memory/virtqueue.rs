//! Split virtqueues (virtio 1.x, 2.7): descriptors and the two rings as laid out in guest
//! memory, and the shapes of the receive chains each queue's driver posts.

use std::io;

use crate::guest_memory::{GuestAllocator, GuestMemory};
use crate::{HEADER_SIZE, MERGEABLE_BUFFER, QUEUE_PAIRS};

pub(crate) const VIRTQ_DESC_F_NEXT: u16 = 1;
pub(crate) const VIRTQ_DESC_F_WRITE: u16 = 2;
pub(crate) const VIRTQ_DESC_F_INDIRECT: u16 = 4;

/// struct virtq_desc: a guest buffer and what follows it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Descriptor {
    pub(crate) address: u64,
    pub(crate) length: u32,
    pub(crate) flags: u16,
    pub(crate) next: u16,
}

impl Descriptor {
    const SIZE: u64 = 16;

    pub(crate) fn read(memory: &GuestMemory, at: u64) -> Option<Descriptor> {
        let bytes: [u8; 16] = memory.read_array(at)?;
        Some(Descriptor {
            address: u64::from_le_bytes(array_at(&bytes, 0)),
            length: u32::from_le_bytes(array_at(&bytes, 8)),
            flags: u16::from_le_bytes(array_at(&bytes, 12)),
            next: u16::from_le_bytes(array_at(&bytes, 14)),
        })
    }

    pub(crate) fn write(&self, memory: &GuestMemory, at: u64) -> Option<()> {
        let mut bytes = [0u8; 16];
        bytes[0..8].copy_from_slice(&self.address.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.length.to_le_bytes());
        bytes[12..14].copy_from_slice(&self.flags.to_le_bytes());
        bytes[14..16].copy_from_slice(&self.next.to_le_bytes());
        memory.write_array(at, bytes)
    }
}

/// The `N` bytes of `bytes` from `at`.
pub(crate) fn array_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut array = [0u8; N];
    array.copy_from_slice(&bytes[at..at + N]);
    array
}

/// Where a virtqueue's three parts lie in guest memory: the descriptor table, the avail ring
/// (`flags, idx, ring[size], used_event`) and the used ring (`flags, idx, ring[size] {id, len},
/// avail_event`), all le.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingLayout {
    pub(crate) size: u16,
    descriptors: u64,
    avail: u64,
    used: u64,
}

impl RingLayout {
    pub(crate) fn allocate(allocator: &mut GuestAllocator, size: u16) -> io::Result<RingLayout> {
        let entries = u64::from(size);
        Ok(RingLayout {
            size,
            descriptors: allocator.allocate(Descriptor::SIZE * entries, 16)?,
            avail: allocator.allocate(4 + 2 * entries + 2, 2)?,
            used: allocator.allocate(4 + 8 * entries + 2, 4)?,
        })
    }

    pub(crate) fn descriptor(&self, index: u16) -> u64 {
        self.descriptors + Descriptor::SIZE * u64::from(index)
    }
    pub(crate) fn avail_idx(&self) -> u64 {
        self.avail + 2
    }
    pub(crate) fn avail_entry(&self, slot: u16) -> u64 {
        self.avail + 4 + 2 * u64::from(slot % self.size)
    }
    pub(crate) fn used_idx(&self) -> u64 {
        self.used + 2
    }
    pub(crate) fn used_entry(&self, slot: u16) -> u64 {
        self.used + 4 + 8 * u64::from(slot % self.size)
    }
}

/// A guest buffer: its guest physical address and length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub(crate) address: u64,
    pub(crate) length: u32,
}

/// struct virtq_used_elem: the chain's head and the bytes the device wrote into it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UsedElement {
    pub(crate) id: u16,
    pub(crate) length: u32,
}

/// The receive chains a queue's driver posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChainShape {
    /// One 2,048-byte buffer: header and frame.
    OneBuffer,
    /// The 20-byte header in its own descriptor, then a 2,048-byte buffer.
    HeaderApart,
    /// VIRTIO_NET_F_MRG_RXBUF: single 256-byte buffers; a frame spans several chains.
    Mergeable,
    /// A rotation of odd splits: the header across several descriptors, a 0-byte one included.
    Scattered,
}

/// The Scattered queue's chains, in turn: num_buffers (bytes 10-11) and the hash fields (12-19)
/// each cut, or alone, or after a 0-byte descriptor.
const SCATTERED_SHAPES: [&[u32]; 4] = [&[7, 1, 0, 2040], &[11, 1, 8, 2028], &[13, 7, 2028], &[20, 2028]];

impl ChainShape {
    pub(crate) const BY_QUEUE: [ChainShape; QUEUE_PAIRS as usize] =
        [ChainShape::OneBuffer, ChainShape::HeaderApart, ChainShape::Mergeable, ChainShape::Scattered];

    /// The buffer lengths of the `number`th chain the driver posts.
    pub(crate) fn lengths(self, number: usize) -> &'static [u32] {
        match self {
            ChainShape::OneBuffer => &[2048],
            ChainShape::HeaderApart => &[HEADER_SIZE as u32, 2048],
            ChainShape::Mergeable => &[MERGEABLE_BUFFER],
            ChainShape::Scattered => SCATTERED_SHAPES[number % SCATTERED_SHAPES.len()],
        }
    }
}
