//! The device: one thread per queue pair, which readv's its tap queue into the guest's chains and
//! classifies each frame in place with its [`QueueClassifier`].

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use vnet_rss::{sys, QueueClassifier};

use crate::guest_memory::GuestMemory;
use crate::rx_queue::{Chain, RxQueue};
use crate::syscalls::{readv, wait_readable, EAGAIN, EBADFD};
use crate::virtqueue::{ChainShape, RingLayout, Segment};
use crate::{CHAIN_MAX_SEGMENTS, FRAME_MAX, HEADER_SIZE, MERGEABLE_CHAINS, NUM_BUFFERS_OFFSET};

/// What a queue thread's control needs to see: whether the guest uses its queue pair
/// (VQ_PAIRS_SET), and what went wrong.
#[derive(Default)]
pub(crate) struct QueueStatus {
    pub(crate) enabled: AtomicBool,
    pub(crate) refused_chains: AtomicU64,
    pub(crate) failed_reads: AtomicU64,
    pub(crate) refused_classifies: AtomicU64,
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
pub(crate) fn run_queue_thread<'a>(
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
