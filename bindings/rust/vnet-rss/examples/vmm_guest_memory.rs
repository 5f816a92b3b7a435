//! vmm_guest_memory: the receive path of a VMM that keeps its own datapath, the way
//! cloud-hypervisor and Firecracker have it, with RSS and hash reports from vnet-rss.
//!
//! One thread per queue pair pops the guest's receive chains from its split virtqueue, walks the
//! descriptors into iovecs over guest memory (every address checked against the region, as a
//! VMM must), `readv`s its own tap queue straight into them, and hands the same iovecs to its
//! [`QueueClassifier`], which writes hash_value and hash_report into the header wherever the
//! chain put it. No copy: vnet-rss only steers (the steering program queues each frame on the
//! tap queue of the receive queue the guest's RSS configuration names) and classifies in place.
//!
//! The parts, in one process:
//! - guest memory: one anonymous mapping, guest physical address = offset in it, holding four
//!   split virtqueues (256 descriptors each) and their receive buffers, each queue with chains
//!   of its own shape: one 2,048-byte buffer; the 20-byte header in its own descriptor; mergeable
//!   256-byte buffers (VIRTIO_NET_F_MRG_RXBUF, a frame spans several, num_buffers says how many);
//!   odd splits that put the header across several descriptors, a 0-byte one included;
//! - the device: four queue threads, and a control thread that executes the guest's
//!   control-queue commands (VIRTIO_NET_CTRL_MQ_RSS_CONFIG, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) on
//!   the [`TapSteering`] it owns;
//! - the guest: the main thread, which posts receive chains, sends control commands (an RSS
//!   configuration, a refused one, four queue pairs; later three queue pairs and a new table),
//!   sends traffic into the tap (AF_PACKET: IPv4 and IPv6, TCP, UDP and ICMP, ARP now and then,
//!   60 to 1,514 bytes) and reads its used rings like a driver, reposting the buffers;
//! - the check: every frame the guest received, rebuilt from guest memory, against what was sent
//!   and what the virtio spec says a device reports for it, computed here without the library (a
//!   bit-by-bit Toeplitz over the frame's own fields, the queue from the indirection table).
//!
//! Prints `vmm-example Rust: N frames, N verified, 0 mismatched, 0 strays` and exits 0 when every
//! frame sent arrived once, whole, on its queue, with the right header, and the program steered
//! every one (no strays). Run as root in a network namespace of its own:
//! `unshare --net target/debug/examples/vmm_guest_memory` (scripts/rust-vmm-example.sh).

#[path = "../tests/netns/mod.rs"]
mod netns;

use std::ffi::{c_int, c_void};
use std::fmt;
use std::io;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::process::ExitCode;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use vnet_rss::{
    sys, Config, DeviceLimits, Features, Format, Policy, QueueClassifier, Steerer, SteeringCounters, TapSteering,
    TapSteeringOptions, Validation,
};

// ---- The device ---------------------------------------------------------------------------------

const TAP_NAME: &str = "vrssvmmr0";
const QUEUE_PAIRS: u16 = 4;
/// Descriptors per virtqueue.
const QUEUE_SIZE: u16 = 256;
/// struct virtio_net_hdr_v1_hash: the tap's vnet header (TUNSETVNETHDRSZ) and the guest's.
const HEADER_SIZE: usize = 20;
/// virtio_net_hdr_v1_hash.num_buffers, the device's to write (le16).
const NUM_BUFFERS_OFFSET: u64 = 10;
const FRAME_MAX: usize = 1514;
/// The chains of the mergeable queue: single 256-byte buffers.
const MERGEABLE_BUFFER: u32 = 256;
/// Chains a mergeable readv takes: enough for the largest frame and its header.
const MERGEABLE_CHAINS: usize = (HEADER_SIZE + FRAME_MAX).div_ceil(MERGEABLE_BUFFER as usize);
/// The longest chain a queue thread accepts; its iovec array holds MERGEABLE_CHAINS of them.
const CHAIN_MAX_SEGMENTS: usize = 8;
const GUEST_MEMORY_SIZE: usize = 4 << 20;

/// What the device advertises (struct virtio_net_config's RSS fields): QEMU's limits.
const DEVICE_LIMITS: DeviceLimits = DeviceLimits::qemu(QUEUE_PAIRS);

/// virtio-net control commands (struct virtio_net_ctrl: class, command, data; the ack back).
const VIRTIO_NET_CTRL_MQ: u8 = 4;
const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: u8 = 0;
const VIRTIO_NET_CTRL_MQ_RSS_CONFIG: u8 = 1;
const VIRTIO_NET_OK: u8 = 0;
const VIRTIO_NET_ERR: u8 = 1;

// ---- The traffic --------------------------------------------------------------------------------

const FRAMES_PER_PHASE: u16 = 600;
/// Frames in flight at most: far below a tap queue's 500.
const BURST: u64 = 48;
/// How long a phase may take before the guest gives up waiting for its frames.
const PHASE_DEADLINE: Duration = Duration::from_secs(10);
const MACS: [u8; 12] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
/// The last bytes of every frame sent: 'V' 'R', the phase, the frame's number (be16).
const TAG_SIZE: usize = 5;

/// The Microsoft RSS key.
const MICROSOFT_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
    0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
    0x01, 0xfa,
];
/// VIRTIO_NET_RSS_HASH_TYPE_*: IPv4, TCPv4, UDPv4, IPv6, TCPv6, UDPv6, IP_EX, TCP_EX, UDP_EX.
const ALL_HASH_TYPES: u32 = 0x1ff;
/// VIRTIO_NET_HASH_REPORT_*, the values the check expects in hash_report.
const REPORT_NONE: u16 = 0;
const REPORT_IPV4: u16 = 1;
const REPORT_TCPV4: u16 = 2;
const REPORT_UDPV4: u16 = 3;
const REPORT_IPV6: u16 = 4;
const REPORT_TCPV6: u16 = 5;
const REPORT_UDPV6: u16 = 6;

// ---- System calls (no libc crate) ---------------------------------------------------------------

extern "C" {
    fn mmap(
        address: *mut c_void,
        length: usize,
        protection: c_int,
        flags: c_int,
        fd: c_int,
        offset: i64,
    ) -> *mut c_void;
    fn munmap(address: *mut c_void, length: usize) -> c_int;
    fn readv(fd: c_int, iov: *const sys::iovec, iovcnt: c_int) -> isize;
    fn poll(fds: *mut PollFd, count: u64, timeout: c_int) -> c_int;
}

const PROT_READ: c_int = 1;
const PROT_WRITE: c_int = 2;
const MAP_PRIVATE: c_int = 0x02;
const MAP_ANONYMOUS: c_int = 0x20;
const POLLIN: i16 = 0x1;
const EAGAIN: i32 = 11;
/// What a tap queue the guest turned off (TUNSETQUEUE detached) answers readv with.
const EBADFD: i32 = 77;

/// struct pollfd.
#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

/// Waits up to `timeout` for `fd` to be readable (or in error: a detached tap queue).
fn wait_readable(fd: BorrowedFd<'_>, timeout: Duration) {
    let mut entry = PollFd { fd: fd.as_raw_fd(), events: POLLIN, revents: 0 };
    // SAFETY: one struct pollfd, valid for the call. Its answer is not needed: the caller reads
    // and finds out.
    unsafe { poll(&mut entry, 1, timeout.as_millis() as c_int) };
}

// ---- Guest memory -------------------------------------------------------------------------------

/// The guest's RAM: one anonymous mapping; guest physical address = offset in it.
///
/// Every access from either side goes through it, bounds-checked, as volatile reads and writes of
/// bytes (the other side may write the same memory at any time: no Rust reference into it is
/// ever made), or as atomics for the rings' indices.
struct GuestMemory {
    base: NonNull<u8>,
    size: usize,
}

// SAFETY: the mapping is plain memory shared by the guest and the device threads. It is only
// reached through raw pointers (volatile) and atomics; which side owns a ring entry or a buffer
// at a time is passed through the rings' indices with release and acquire ordering.
unsafe impl Send for GuestMemory {}
// SAFETY: as above.
unsafe impl Sync for GuestMemory {}

impl GuestMemory {
    fn map(size: usize) -> io::Result<GuestMemory> {
        // SAFETY: a new private anonymous mapping; no existing memory is touched.
        let base = unsafe { mmap(ptr::null_mut(), size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) };
        if base as isize == -1 {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        Ok(GuestMemory { base, size })
    }

    /// The host address of guest bytes `address..address + length`, or None when any of them lies
    /// outside guest memory.
    fn host_address(&self, address: u64, length: u64) -> Option<*mut u8> {
        let end = address.checked_add(length)?;
        if end > self.size as u64 {
            return None;
        }
        // SAFETY: `address` lies within the mapping (checked above), so the offset stays in it.
        Some(unsafe { self.base.as_ptr().add(address as usize) })
    }

    fn read_array<const N: usize>(&self, address: u64) -> Option<[u8; N]> {
        let at = self.host_address(address, N as u64)?;
        // SAFETY: N bytes inside the mapping (checked); an array of bytes has no alignment.
        Some(unsafe { ptr::read_volatile(at.cast::<[u8; N]>()) })
    }

    fn write_array<const N: usize>(&self, address: u64, bytes: [u8; N]) -> Option<()> {
        let at = self.host_address(address, N as u64)?;
        // SAFETY: as in read_array.
        unsafe { ptr::write_volatile(at.cast::<[u8; N]>(), bytes) };
        Some(())
    }

    fn read_u16(&self, address: u64) -> Option<u16> {
        self.read_array(address).map(u16::from_le_bytes)
    }

    fn write_u16(&self, address: u64, value: u16) -> Option<()> {
        self.write_array(address, value.to_le_bytes())
    }

    /// Copies guest bytes `address..address + out.len()` into `out`.
    fn read_bytes(&self, address: u64, out: &mut [u8]) -> Option<()> {
        let at = self.host_address(address, out.len() as u64)?;
        for (index, byte) in out.iter_mut().enumerate() {
            // SAFETY: inside the mapping (checked for the whole range).
            *byte = unsafe { ptr::read_volatile(at.add(index)) };
        }
        Some(())
    }

    /// Copies `bytes` to guest address `address`.
    fn write_bytes(&self, address: u64, bytes: &[u8]) -> Option<()> {
        let at = self.host_address(address, bytes.len() as u64)?;
        for (index, &byte) in bytes.iter().enumerate() {
            // SAFETY: inside the mapping (checked for the whole range).
            unsafe { ptr::write_volatile(at.add(index), byte) };
        }
        Some(())
    }

    /// The le16 at `address` as an atomic, for the rings' `idx` fields: the one place where the
    /// two sides hand entries to each other (values go through `to_le`/`from_le`).
    fn atomic_u16(&self, address: u64) -> Option<&AtomicU16> {
        if address % 2 != 0 {
            return None;
        }
        let at = self.host_address(address, 2)?;
        // SAFETY: two aligned bytes inside the mapping, which lives as long as `self`; both sides
        // reach them only through this atomic.
        Some(unsafe { &*at.cast::<AtomicU16>() })
    }
}

impl Drop for GuestMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`, unmapped once; every user borrowed `self`, so none is
        // left.
        unsafe { munmap(self.base.as_ptr().cast(), self.size) };
    }
}

/// The guest's allocator: guest physical memory handed out in order.
struct GuestAllocator {
    next: u64,
    size: u64,
}

impl GuestAllocator {
    fn allocate(&mut self, length: u64, alignment: u64) -> io::Result<u64> {
        let address = self.next.next_multiple_of(alignment);
        if address + length > self.size {
            return Err(io::Error::other("guest memory is full"));
        }
        self.next = address + length;
        Ok(address)
    }
}

// ---- Split virtqueues (virtio 1.x, 2.7) ---------------------------------------------------------

const VIRTQ_DESC_F_NEXT: u16 = 1;
const VIRTQ_DESC_F_WRITE: u16 = 2;
const VIRTQ_DESC_F_INDIRECT: u16 = 4;

/// struct virtq_desc: a guest buffer and what follows it.
#[derive(Clone, Copy, Debug)]
struct Descriptor {
    address: u64,
    length: u32,
    flags: u16,
    next: u16,
}

impl Descriptor {
    const SIZE: u64 = 16;

    fn read(memory: &GuestMemory, at: u64) -> Option<Descriptor> {
        let bytes: [u8; 16] = memory.read_array(at)?;
        Some(Descriptor {
            address: u64::from_le_bytes(array_at(&bytes, 0)),
            length: u32::from_le_bytes(array_at(&bytes, 8)),
            flags: u16::from_le_bytes(array_at(&bytes, 12)),
            next: u16::from_le_bytes(array_at(&bytes, 14)),
        })
    }

    fn write(&self, memory: &GuestMemory, at: u64) -> Option<()> {
        let mut bytes = [0u8; 16];
        bytes[0..8].copy_from_slice(&self.address.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.length.to_le_bytes());
        bytes[12..14].copy_from_slice(&self.flags.to_le_bytes());
        bytes[14..16].copy_from_slice(&self.next.to_le_bytes());
        memory.write_array(at, bytes)
    }
}

/// The `N` bytes of `bytes` from `at`.
fn array_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut array = [0u8; N];
    array.copy_from_slice(&bytes[at..at + N]);
    array
}

/// Where a virtqueue's three parts lie in guest memory: the descriptor table, the avail ring
/// (`flags, idx, ring[size], used_event`) and the used ring (`flags, idx, ring[size] {id, len},
/// avail_event`), all le.
#[derive(Clone, Copy, Debug)]
struct RingLayout {
    size: u16,
    descriptors: u64,
    avail: u64,
    used: u64,
}

impl RingLayout {
    fn allocate(allocator: &mut GuestAllocator, size: u16) -> io::Result<RingLayout> {
        let entries = u64::from(size);
        Ok(RingLayout {
            size,
            descriptors: allocator.allocate(Descriptor::SIZE * entries, 16)?,
            avail: allocator.allocate(4 + 2 * entries + 2, 2)?,
            used: allocator.allocate(4 + 8 * entries + 2, 4)?,
        })
    }

    fn descriptor(&self, index: u16) -> u64 {
        self.descriptors + Descriptor::SIZE * u64::from(index)
    }
    fn avail_idx(&self) -> u64 {
        self.avail + 2
    }
    fn avail_entry(&self, slot: u16) -> u64 {
        self.avail + 4 + 2 * u64::from(slot % self.size)
    }
    fn used_idx(&self) -> u64 {
        self.used + 2
    }
    fn used_entry(&self, slot: u16) -> u64 {
        self.used + 4 + 8 * u64::from(slot % self.size)
    }
}

/// A guest buffer: its guest physical address and length.
#[derive(Clone, Copy, Debug)]
struct Segment {
    address: u64,
    length: u32,
}

/// struct virtq_used_elem: the chain's head and the bytes the device wrote into it.
#[derive(Clone, Copy, Debug)]
struct UsedElement {
    id: u16,
    length: u32,
}

/// The receive chains a queue's driver posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChainShape {
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
    const BY_QUEUE: [ChainShape; QUEUE_PAIRS as usize] =
        [ChainShape::OneBuffer, ChainShape::HeaderApart, ChainShape::Mergeable, ChainShape::Scattered];

    /// The buffer lengths of the `number`th chain the driver posts.
    fn lengths(self, number: usize) -> &'static [u32] {
        match self {
            ChainShape::OneBuffer => &[2048],
            ChainShape::HeaderApart => &[HEADER_SIZE as u32, 2048],
            ChainShape::Mergeable => &[MERGEABLE_BUFFER],
            ChainShape::Scattered => SCATTERED_SHAPES[number % SCATTERED_SHAPES.len()],
        }
    }
}

// ---- The guest driver's side of a receive virtqueue ---------------------------------------------

/// A receive virtqueue as the guest's driver keeps it: the chains it posted, by head descriptor,
/// and its indices into the two rings.
struct RxDriver {
    layout: RingLayout,
    shape: ChainShape,
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
    fn new(memory: &GuestMemory, allocator: &mut GuestAllocator, shape: ChainShape) -> io::Result<RxDriver> {
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
    fn post(&mut self, memory: &GuestMemory, head: u16) {
        memory.write_u16(self.layout.avail_entry(self.avail_idx), head).expect("the avail ring is in guest memory");
        self.avail_idx = self.avail_idx.wrapping_add(1);
    }

    /// Publishes the chains posted so far: release on avail.idx, so their entries (and the
    /// buffers' emptiness) are visible to the device before the index is.
    fn publish(&self, memory: &GuestMemory) {
        let idx = memory.atomic_u16(self.layout.avail_idx()).expect("avail.idx is in guest memory");
        idx.store(self.avail_idx.to_le(), Ordering::Release);
    }

    /// The next used entry, if the device published one (acquire on used.idx).
    fn next_used(&mut self, memory: &GuestMemory) -> Option<UsedElement> {
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
    fn gather(&self, memory: &GuestMemory, used: UsedElement, out: &mut Vec<u8>) -> bool {
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

// ---- The device's side of a receive virtqueue ---------------------------------------------------

/// Why a queue thread refused what the guest posted: what a device must not follow.
#[derive(Clone, Copy, Debug)]
enum ChainError {
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
struct Chain {
    head: u16,
    capacity: u32,
}

/// A receive virtqueue as the device keeps it: its indices into the two rings.
struct RxQueue {
    layout: RingLayout,
    /// avail entries taken so far.
    last_avail: u16,
    /// used.idx as the device will publish it next.
    used_idx: u16,
}

impl RxQueue {
    fn new(layout: RingLayout) -> RxQueue {
        RxQueue { layout, last_avail: 0, used_idx: 0 }
    }

    /// Pops the next available chain (acquire on avail.idx), its buffers appended to `segments`
    /// and, as host addresses, to `iovecs`. None when the guest posted none.
    fn pop(
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
    fn give_back(&mut self, count: usize) {
        self.last_avail = self.last_avail.wrapping_sub(count as u16);
    }

    /// Adds used entry (`head`, `length`), seen by the driver after `publish_used`.
    fn add_used(&mut self, memory: &GuestMemory, head: u16, length: u32) {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        bytes[4..].copy_from_slice(&length.to_le_bytes());
        memory.write_array(self.layout.used_entry(self.used_idx), bytes).expect("the used ring is in guest memory");
        self.used_idx = self.used_idx.wrapping_add(1);
    }

    /// Publishes the entries added so far, a mergeable frame's chains all at once: release on
    /// used.idx, so the frame's bytes and its entries are visible to the driver before the index.
    fn publish_used(&self, memory: &GuestMemory) {
        let idx = memory.atomic_u16(self.layout.used_idx()).expect("used.idx is in guest memory");
        idx.store(self.used_idx.to_le(), Ordering::Release);
    }
}

// ---- The device: one thread per queue pair ------------------------------------------------------

/// What a queue thread's control needs to see: whether the guest uses its queue pair
/// (VQ_PAIRS_SET), and what went wrong.
#[derive(Default)]
struct QueueStatus {
    enabled: AtomicBool,
    refused_chains: AtomicU64,
    failed_reads: AtomicU64,
    refused_classifies: AtomicU64,
}

/// What one attempt at receiving a frame came to.
enum Received {
    Delivered,
    TapQueueEmpty,
    NoBuffers,
}

/// A queue pair's receive side on its own thread: its tap queue, its virtqueue, its classifier,
/// and arrays allocated once, so the datapath allocates nothing.
struct QueueThread<'a> {
    tap: BorrowedFd<'a>,
    memory: &'a GuestMemory,
    queue: RxQueue,
    mergeable: bool,
    classifier: QueueClassifier<'a>,
    status: &'a QueueStatus,
    chains: Vec<Chain>,
    segments: Vec<Segment>,
    iovecs: Vec<sys::iovec>,
}

impl<'a> QueueThread<'a> {
    fn new(
        tap: BorrowedFd<'a>,
        memory: &'a GuestMemory,
        layout: RingLayout,
        shape: ChainShape,
        classifier: QueueClassifier<'a>,
        status: &'a QueueStatus,
    ) -> QueueThread<'a> {
        let most = MERGEABLE_CHAINS * CHAIN_MAX_SEGMENTS;
        QueueThread {
            tap,
            memory,
            queue: RxQueue::new(layout),
            mergeable: shape == ChainShape::Mergeable,
            classifier,
            status,
            chains: Vec::with_capacity(MERGEABLE_CHAINS),
            segments: Vec::with_capacity(most),
            iovecs: Vec::with_capacity(most),
        }
    }

    /// Receives frames while the guest uses this queue pair, until `stopping`.
    fn run(mut self, stopping: &AtomicBool) {
        while !stopping.load(Ordering::Acquire) {
            if !self.status.enabled.load(Ordering::Acquire) {
                thread::sleep(Duration::from_millis(1));
                continue;
            }
            match self.receive_frame() {
                Received::Delivered => {}
                Received::TapQueueEmpty => wait_readable(self.tap, Duration::from_millis(5)),
                // A device waits for the driver's kick; this one looks again shortly.
                Received::NoBuffers => thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    /// One frame from the tap queue into the guest's chains: pop, readv, classify in place, write
    /// num_buffers, give back the chains not needed, publish the used ones.
    fn receive_frame(&mut self) -> Received {
        if !self.pop_chains() {
            return Received::NoBuffers;
        }
        let length = match self.read_tap() {
            Ok(length) => length,
            Err(received) => {
                self.queue.give_back(self.chains.len());
                return received;
            }
        };
        // The hash report, in place: bytes 12-19 of the header, wherever the chain put them.
        // SAFETY: each iovec was made by RxQueue::walk from a descriptor whose buffer lies inside
        // guest memory (checked), which stays mapped while this thread runs; readv wrote `length`
        // bytes into them; guest memory is only ever reached through raw pointers, never a Rust
        // reference.
        let classified =
            unsafe { self.classifier.classify_raw(self.iovecs.as_ptr(), self.iovecs.len(), length, HEADER_SIZE) };
        if classified.is_err() {
            self.status.refused_classifies.fetch_add(1, Ordering::Relaxed);
        }
        let used = self.chains_holding(length);
        self.write_num_buffers(used as u16);
        self.queue.give_back(self.chains.len() - used);
        self.publish(used, length);
        Received::Delivered
    }

    /// Pops one chain, or for mergeable buffers as many as the largest frame needs (Firecracker's
    /// way: readv must never cut a frame). False, with everything given back, when the guest has
    /// not posted enough.
    fn pop_chains(&mut self) -> bool {
        self.chains.clear();
        self.segments.clear();
        self.iovecs.clear();
        let wanted = if self.mergeable { MERGEABLE_CHAINS } else { 1 };
        while self.chains.len() < wanted {
            match self.queue.pop(self.memory, &mut self.segments, &mut self.iovecs) {
                Ok(Some(chain)) => self.chains.push(chain),
                Ok(None) => break,
                Err(error) => {
                    if self.status.refused_chains.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("vmm_guest_memory: a chain refused: {error}");
                    }
                    break;
                }
            }
        }
        let capacity: usize = self.chains.iter().map(|chain| chain.capacity as usize).sum();
        if self.chains.is_empty() || capacity < HEADER_SIZE + FRAME_MAX {
            self.queue.give_back(self.chains.len());
            return false;
        }
        true
    }

    /// readv from the tap queue into the popped chains: the byte count, or why there was none.
    fn read_tap(&self) -> Result<usize, Received> {
        // SAFETY: `iovecs` describes guest buffers inside the mapping (checked by walk), which the
        // kernel writes; the array itself is valid for the call.
        let read = unsafe { readv(self.tap.as_raw_fd(), self.iovecs.as_ptr(), self.iovecs.len() as c_int) };
        if read >= 0 {
            return Ok(read as usize);
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(EAGAIN) | Some(EBADFD) => Err(Received::TapQueueEmpty),
            _ => {
                self.status.failed_reads.fetch_add(1, Ordering::Relaxed);
                Err(Received::TapQueueEmpty)
            }
        }
    }

    /// How many of the popped chains the `length` bytes readv returned fill (1 at least).
    fn chains_holding(&self, length: usize) -> usize {
        let mut covered = 0usize;
        let mut used = 0;
        while used < self.chains.len() && (used == 0 || covered < length) {
            covered += self.chains[used].capacity as usize;
            used += 1;
        }
        used
    }

    /// num_buffers (le16 at byte 10 of the header) is the device's to write, wherever the chain
    /// put it: the chains this frame fills.
    fn write_num_buffers(&self, chains: u16) {
        let mut skip = NUM_BUFFERS_OFFSET;
        let mut bytes = &chains.to_le_bytes()[..];
        for segment in &self.segments {
            if bytes.is_empty() {
                break;
            }
            if skip >= u64::from(segment.length) {
                skip -= u64::from(segment.length);
                continue;
            }
            let take = bytes.len().min((u64::from(segment.length) - skip) as usize);
            self.memory.write_bytes(segment.address + skip, &bytes[..take]).expect("checked when popped");
            bytes = &bytes[take..];
            skip = 0;
        }
    }

    /// The used entries of the first `used` chains, each with the bytes it holds, then used.idx.
    fn publish(&mut self, used: usize, length: usize) {
        let mut remaining = length;
        for chain in &self.chains[..used] {
            let take = remaining.min(chain.capacity as usize);
            self.queue.add_used(self.memory, chain.head, take as u32);
            remaining -= take;
        }
        self.queue.publish_used(self.memory);
    }
}

/// A queue thread: waits for its classifier (handed over when the device is activated), then
/// receives until `stopping`.
fn run_queue_thread<'a>(
    tap: BorrowedFd<'a>,
    memory: &'a GuestMemory,
    layout: RingLayout,
    shape: ChainShape,
    handoff: Receiver<QueueClassifier<'a>>,
    status: &'a QueueStatus,
    stopping: &AtomicBool,
) {
    let classifier = loop {
        match handoff.recv_timeout(Duration::from_millis(5)) {
            Ok(classifier) => break classifier,
            Err(RecvTimeoutError::Timeout) if !stopping.load(Ordering::Acquire) => continue,
            Err(_) => return,
        }
    };
    QueueThread::new(tap, memory, layout, shape, classifier, status).run(stopping);
}

// ---- The device: the control thread -------------------------------------------------------------

/// A message on the control virtqueue: the bytes of a struct virtio_net_ctrl without its ack,
/// which comes back on `ack`. Or the device's shutdown, answered with its counters.
enum ControlMessage {
    Command { bytes: Vec<u8>, ack: Sender<u8> },
    Shutdown { report: Sender<ShutdownReport> },
}

/// What the device says when it shuts down.
struct ShutdownReport {
    counters: Vec<SteeringCounters>,
    steered_by_program: bool,
}

/// The device's control plane: the steering object (made when the guest first configures RSS),
/// the queue threads' classifiers to hand over, and their enable flags.
struct ControlPlane<'a> {
    taps: &'a [OwnedFd],
    statuses: &'a [QueueStatus],
    handoffs: Vec<Sender<QueueClassifier<'a>>>,
    steering: Option<TapSteering<'a>>,
    steered_by_program: bool,
}

impl<'a> ControlPlane<'a> {
    /// Executes control commands until the shutdown.
    fn run(mut self, messages: Receiver<ControlMessage>) {
        while let Ok(message) = messages.recv() {
            match message {
                ControlMessage::Command { bytes, ack } => {
                    let _ = ack.send(self.execute(&bytes));
                }
                ControlMessage::Shutdown { report } => {
                    let _ = report.send(self.shut_down());
                    return;
                }
            }
        }
    }

    /// One struct virtio_net_ctrl: class, command, data; the ack.
    fn execute(&mut self, bytes: &[u8]) -> u8 {
        let result = match bytes {
            [VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, payload @ ..] => self.configure_rss(payload),
            [VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, low, high] => {
                self.set_queue_pairs(u16::from_le_bytes([*low, *high]))
            }
            _ => Err("a command this device does not offer".to_string()),
        };
        match result {
            Ok(()) => VIRTIO_NET_OK,
            Err(_) => VIRTIO_NET_ERR,
        }
    }

    /// VIRTIO_NET_CTRL_MQ_RSS_CONFIG: decoded and validated as an untrusted guest's, with the hash
    /// reporting the guest negotiated (the command carries RSS only); then the steering made (the
    /// first time: device activation) or the configuration applied.
    fn configure_rss(&mut self, payload: &[u8]) -> Result<(), String> {
        let decoded = Config::decode(Format::VirtioRss, Policy::Virtio, payload).map_err(|e| e.to_string())?;
        decoded.validate(Validation::Virtio(DEVICE_LIMITS)).map_err(|e| e.to_string())?;
        let config = decoded.with_features(Features::RSS | Features::HASH_REPORT).map_err(|e| e.to_string())?;
        match self.steering.as_mut() {
            Some(steering) => steering.apply(&config).map_err(|e| e.to_string()),
            None => self.activate(&config),
        }
    }

    /// The steering object over the tap fds with the guest's first configuration (the program
    /// loaded here: root), attached, and each queue thread handed its classifier.
    fn activate(&mut self, config: &Config) -> Result<(), String> {
        let mut steering =
            TapSteering::new(self.taps, config, TapSteeringOptions::default(), None).map_err(|e| e.to_string())?;
        steering.attach().map_err(|e| e.to_string())?;
        self.steered_by_program = steering.state().map_err(|e| e.to_string())? == Steerer::Program;
        for (classifier, handoff) in steering.classifiers().map_err(|e| e.to_string())?.into_iter().zip(&self.handoffs)
        {
            handoff.send(classifier).map_err(|e| e.to_string())?;
        }
        self.steering = Some(steering);
        Ok(())
    }

    /// VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: the queue threads past the pairs stop before their tap
    /// queues detach; the others run once theirs are attached.
    fn set_queue_pairs(&mut self, pairs: u16) -> Result<(), String> {
        let steering = self.steering.as_mut().ok_or("no RSS configuration yet")?;
        for status in self.statuses.iter().skip(usize::from(pairs)) {
            status.enabled.store(false, Ordering::Release);
        }
        steering.set_queue_pairs(pairs).map_err(|e| e.to_string())?;
        for status in self.statuses.iter().take(usize::from(pairs)) {
            status.enabled.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// The counters, then the program detached (the object is destroyed when the queue threads'
    /// classifiers are gone too).
    fn shut_down(&mut self) -> ShutdownReport {
        let counters = self.steering.as_ref().and_then(|steering| steering.statistics().ok()).unwrap_or_default();
        if let Some(mut steering) = self.steering.take() {
            let _ = steering.detach();
        }
        ShutdownReport { counters, steered_by_program: self.steered_by_program }
    }
}

/// The guest's end of the control virtqueue.
struct ControlQueue {
    messages: Sender<ControlMessage>,
}

impl ControlQueue {
    /// Sends class, command and data; the device's ack (VIRTIO_NET_ERR when it does not answer).
    fn command(&self, command: u8, data: &[u8]) -> u8 {
        let (ack, answer) = mpsc::channel();
        let bytes = [&[VIRTIO_NET_CTRL_MQ, command][..], data].concat();
        if self.messages.send(ControlMessage::Command { bytes, ack }).is_err() {
            return VIRTIO_NET_ERR;
        }
        answer.recv_timeout(PHASE_DEADLINE).unwrap_or(VIRTIO_NET_ERR)
    }

    fn rss_config(&self, settings: &RssSettings) -> u8 {
        self.command(VIRTIO_NET_CTRL_MQ_RSS_CONFIG, &settings.command())
    }

    fn queue_pairs(&self, pairs: u16) -> u8 {
        self.command(VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs.to_le_bytes())
    }

    fn shut_down(&self) -> Option<ShutdownReport> {
        let (report, answer) = mpsc::channel();
        self.messages.send(ControlMessage::Shutdown { report }).ok()?;
        answer.recv_timeout(PHASE_DEADLINE).ok()
    }
}

// ---- The guest: its RSS configurations -----------------------------------------------------------

/// A guest's RSS configuration, as it sends it and as the check reads it.
#[derive(Clone, Debug)]
struct RssSettings {
    key: [u8; 40],
    table: Vec<u16>,
    unclassified_queue: u16,
    max_tx_vq: u16,
}

impl RssSettings {
    /// struct virtio_net_rss_config, le: hash_types, indirection_table_mask, unclassified_queue,
    /// indirection_table[mask + 1], max_tx_vq, hash_key_length, hash_key_data.
    fn command(&self) -> Vec<u8> {
        let mut out = ALL_HASH_TYPES.to_le_bytes().to_vec();
        out.extend_from_slice(&(self.table.len() as u16 - 1).to_le_bytes());
        out.extend_from_slice(&self.unclassified_queue.to_le_bytes());
        for entry in &self.table {
            out.extend_from_slice(&entry.to_le_bytes());
        }
        out.extend_from_slice(&self.max_tx_vq.to_le_bytes());
        out.push(self.key.len() as u8);
        out.extend_from_slice(&self.key);
        out
    }
}

/// Phase 0: 128 entries over four queues, unclassified frames to queue 3. Phase 1: three queue
/// pairs, a new table over them, unclassified frames to queue 2.
fn phase_settings() -> [RssSettings; 2] {
    [
        RssSettings {
            key: MICROSOFT_KEY,
            table: (0..128).map(|entry| entry % QUEUE_PAIRS).collect(),
            unclassified_queue: 3,
            max_tx_vq: QUEUE_PAIRS,
        },
        RssSettings {
            key: MICROSOFT_KEY,
            table: vec![2, 0, 1, 1, 2, 0, 0, 2, 1, 2, 1, 0, 0, 1, 2, 2],
            unclassified_queue: 2,
            max_tx_vq: 3,
        },
    ]
}

// ---- The guest: its traffic ----------------------------------------------------------------------

/// Frame `number` of `phase`: IPv4 and IPv6 with TCP, UDP and ICMP in turn, ARP now and then
/// (unclassified), 60 to 1,514 bytes, tagged at its end.
fn build_frame(phase: u8, number: u16) -> Vec<u8> {
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
fn identify(frame: &[u8]) -> Option<(u8, u16)> {
    if frame.len() < 14 + TAG_SIZE || frame[..12] != MACS {
        return None;
    }
    match frame[frame.len() - TAG_SIZE..] {
        [b'V', b'R', phase, high, low] if phase < 2 => Some((phase, u16::from_be_bytes([high, low]))),
        _ => None,
    }
}

// ---- The guest: its receive side -----------------------------------------------------------------

/// A packet the guest's driver took from a receive virtqueue: the header and the frame, gathered
/// from the buffers of as many used entries as num_buffers says.
struct ReceivedPacket {
    queue: u16,
    bytes: Vec<u8>,
    used_entries: u16,
}

/// The guest's receive virtqueues and what its driver took from them.
struct GuestReceiver {
    drivers: Vec<RxDriver>,
    packets: Vec<ReceivedPacket>,
    /// Frames of ours received, per phase.
    arrived: [u64; 2],
    /// Used entries the driver could not make sense of.
    broken: u64,
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
fn run_phase(socket: &netns::PacketSocket, guest: &mut GuestReceiver, memory: &GuestMemory, phase: u8) -> u64 {
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

// ---- The check, without the library --------------------------------------------------------------

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
struct Expected {
    hash: u32,
    report: u16,
    queue: u16,
}

/// The virtio spec's hash for `frame` with every hash type enabled: over the source and
/// destination addresses, and the ports for TCP and UDP; the queue from the indirection table;
/// anything else unclassified, to unclassified_queue.
fn expected_delivery(frame: &[u8], settings: &RssSettings) -> Expected {
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

/// How the received packets compare with what was sent.
#[derive(Default)]
struct Verdict {
    verified: u64,
    mismatched: u64,
    not_ours: u64,
}

/// Checks every packet the guest received: a frame sent, once, whole, on the queue the guest's
/// configuration names, with hash_value, hash_report, padding and num_buffers right.
fn verify(packets: &[ReceivedPacket], settings: &[RssSettings; 2]) -> Verdict {
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

// ---- The run --------------------------------------------------------------------------------------

/// The tap as a VMM opens it: one non-blocking fd per queue pair with a 20-byte vnet header; no
/// IPv6 on the link (so the host stack sends nothing of its own into it), then up.
fn open_tap() -> io::Result<Vec<OwnedFd>> {
    let taps = netns::open_nonblocking_tap_queues(TAP_NAME, usize::from(QUEUE_PAIRS), HEADER_SIZE as c_int)?;
    std::fs::write(format!("/proc/sys/net/ipv6/conf/{TAP_NAME}/disable_ipv6"), "1")?;
    netns::set_link_up(TAP_NAME)?;
    Ok(taps)
}

/// The guest's memory with its four receive virtqueues, their chains posted.
fn guest_receiver(memory: &GuestMemory) -> io::Result<GuestReceiver> {
    let mut allocator = GuestAllocator { next: 0, size: memory.size as u64 };
    let drivers = ChainShape::BY_QUEUE
        .iter()
        .map(|&shape| RxDriver::new(memory, &mut allocator, shape))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(GuestReceiver { drivers, packets: Vec::new(), arrived: [0; 2], broken: 0 })
}

/// What the guest did and saw.
struct GuestRun {
    sent: u64,
    acks_as_expected: bool,
}

/// The guest's part: its control commands and its traffic, in two phases.
fn run_guest(
    control: &ControlQueue,
    guest: &mut GuestReceiver,
    memory: &GuestMemory,
    settings: &[RssSettings; 2],
) -> io::Result<GuestRun> {
    if control.rss_config(&settings[0]) != VIRTIO_NET_OK {
        return Err(io::Error::other("the device refused the guest's first RSS configuration"));
    }
    // A table entry past the device's queue pairs: refused (the configuration in force stays).
    let refused = RssSettings { table: vec![0, 1, 2, 7], ..settings[0].clone() };
    let mut acks = control.rss_config(&refused) == VIRTIO_NET_ERR;
    acks &= control.queue_pairs(QUEUE_PAIRS) == VIRTIO_NET_OK;
    let socket = netns::PacketSocket::bind(TAP_NAME)?;
    let mut sent = run_phase(&socket, guest, memory, 0);

    // ethtool -L combined 3, then ethtool -X with a table over the three queues.
    acks &= control.queue_pairs(3) == VIRTIO_NET_OK;
    acks &= control.rss_config(&settings[1]) == VIRTIO_NET_OK;
    sent += run_phase(&socket, guest, memory, 1);
    Ok(GuestRun { sent, acks_as_expected: acks })
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    vnet_rss::abi_check()?;
    let settings = phase_settings();
    let memory = GuestMemory::map(GUEST_MEMORY_SIZE)?;
    let mut guest = guest_receiver(&memory)?;
    let layouts: Vec<RingLayout> = guest.drivers.iter().map(|driver| driver.layout).collect();
    let taps = open_tap()?;
    let statuses: Vec<QueueStatus> = (0..QUEUE_PAIRS).map(|_| QueueStatus::default()).collect();
    let stopping = AtomicBool::new(false);

    let (guest_run, queue_threads_ended, report) = thread::scope(|scope| {
        let mut handoffs = Vec::new();
        let mut queue_threads = Vec::new();
        for (queue, tap) in taps.iter().enumerate() {
            let (handoff, classifier) = mpsc::channel();
            handoffs.push(handoff);
            let (memory, layout, status, stopping) = (&memory, layouts[queue], &statuses[queue], &stopping);
            let shape = ChainShape::BY_QUEUE[queue];
            queue_threads.push(
                scope.spawn(move || run_queue_thread(tap.as_fd(), memory, layout, shape, classifier, status, stopping)),
            );
        }
        let (messages, inbox) = mpsc::channel();
        let plane =
            ControlPlane { taps: &taps, statuses: &statuses, handoffs, steering: None, steered_by_program: false };
        scope.spawn(move || plane.run(inbox));
        let control = ControlQueue { messages };

        let guest_run = run_guest(&control, &mut guest, &memory, &settings);
        // The queue threads end first, their classifiers dropped; then the device reports its
        // counters and detaches the program, and the steering object goes with the control
        // thread.
        stopping.store(true, Ordering::Release);
        let joined: Vec<bool> = queue_threads.into_iter().map(|thread| thread.join().is_ok()).collect();
        let queue_threads_ended = joined.iter().all(|&ended| ended);
        (guest_run, queue_threads_ended, control.shut_down())
    });
    drop(taps);
    let guest_run = guest_run?;
    let report = report.ok_or("the device did not shut down")?;
    let strays: u64 = report.counters.iter().map(|counters| counters.strays).sum();
    let verdict = verify(&guest.packets, &settings);
    println!(
        "vmm-example Rust: {} frames, {} verified, {} mismatched, {strays} strays",
        guest_run.sent, verdict.verified, verdict.mismatched
    );
    Ok(verdict.verified == guest_run.sent
        && verdict.mismatched == 0
        && strays == 0
        && queue_threads_ended
        && device_was_sound(&guest_run, &report, &statuses, &guest, &verdict))
}

/// The rest of what must hold, said on stderr when it does not: the acks, the program steering,
/// no refused chain, read or classify, every used entry understood. (Packets not sent by this
/// program are only told: the host's own would be no fault of the device.)
fn device_was_sound(
    guest_run: &GuestRun,
    report: &ShutdownReport,
    statuses: &[QueueStatus],
    guest: &GuestReceiver,
    verdict: &Verdict,
) -> bool {
    let mut sound = true;
    let mut expect = |holds: bool, what: String| {
        if !holds {
            eprintln!("vmm_guest_memory: {what}");
            sound = false;
        }
    };
    expect(guest_run.acks_as_expected, "a control command was not answered as expected".to_string());
    expect(report.steered_by_program, "the steering program was not attached".to_string());
    for (queue, status) in statuses.iter().enumerate() {
        let refused = status.refused_chains.load(Ordering::Relaxed)
            + status.failed_reads.load(Ordering::Relaxed)
            + status.refused_classifies.load(Ordering::Relaxed);
        expect(refused == 0, format!("queue {queue}: {refused} refused chains, failed reads or classifies"));
    }
    expect(guest.broken == 0, format!("{} used entries the driver could not read", guest.broken));
    if verdict.not_ours > 0 {
        eprintln!("vmm_guest_memory: {} packets not sent by this program", verdict.not_ours);
    }
    sound
}

fn main() -> ExitCode {
    if !netns::is_root() {
        println!("vmm_guest_memory: skipped (needs root, in a network namespace of its own: unshare --net)");
        return ExitCode::SUCCESS;
    }
    if !netns::in_private_namespace() {
        eprintln!("vmm_guest_memory: run it in a network namespace of its own (unshare --net)");
        return ExitCode::FAILURE;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("vmm_guest_memory: {error}");
            ExitCode::FAILURE
        }
    }
}
