//! Classifiers: a configuration prepared for the datapath, deciding frames in caller memory.

use std::marker::PhantomData;
use std::mem::{offset_of, size_of};
use std::ptr::{self, NonNull};

use vnet_rss_sys as sys;

use crate::config::Config;
use crate::error::{check, Error, EPROTO};
use crate::Result;

/// When the _EX hash types apply (`VNET_RSS_EX_RULE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExtensionHeaderRule {
    /// `VNET_RSS_EX_RULE_SPEC`: only to IPv6 packets with extension headers (the virtio spec).
    #[default]
    Spec,
    /// `VNET_RSS_EX_RULE_QEMU`: QEMU's order, each transport's _EX type first.
    Qemu,
}

impl ExtensionHeaderRule {
    /// The `VNET_RSS_EX_RULE_*` value.
    pub const fn raw(self) -> u32 {
        match self {
            ExtensionHeaderRule::Spec => sys::VNET_RSS_EX_RULE_SPEC,
            ExtensionHeaderRule::Qemu => sys::VNET_RSS_EX_RULE_QEMU,
        }
    }
}

/// The decision for one frame (`vnet_rss_decision`, the same layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Decision {
    /// `hash`: hash_value; 0 when unclassified.
    pub hash: u32,
    /// `report`: hash_report (see [`report`](crate::report)); 0 when unclassified.
    pub report: u16,
    /// `queue`: the receive queue.
    pub queue: u16,
}

// Decision is passed to the library as a vnet_rss_decision: the same layout, checked here.
const _: () = assert!(
    size_of::<Decision>() == size_of::<sys::vnet_rss_decision>()
        && offset_of!(Decision, hash) == offset_of!(sys::vnet_rss_decision, hash)
        && offset_of!(Decision, report) == offset_of!(sys::vnet_rss_decision, report)
        && offset_of!(Decision, queue) == offset_of!(sys::vnet_rss_decision, queue)
);

/// One packet of a batch (`vnet_rss_packet`): the tap's vnet header, then the frame, borrowed
/// mutably for `'a` (the header is written).
#[repr(transparent)]
#[derive(Debug)]
pub struct Packet<'a> {
    raw: sys::vnet_rss_packet,
    _data: PhantomData<&'a mut [u8]>,
}

// SAFETY: a Packet is a `&'a mut [u8]` and a queue number; it is as Send as the slice.
unsafe impl Send for Packet<'_> {}
// SAFETY: `&Packet` gives no access to the bytes; as Sync as `&mut [u8]`.
unsafe impl Sync for Packet<'_> {}

impl<'a> Packet<'a> {
    /// A packet: `data` is the vnet header and the frame; `arrival_queue` the queue it arrived
    /// on (kept when RSS is off).
    pub fn new(data: &'a mut [u8], arrival_queue: u16) -> Packet<'a> {
        let pointer = if data.is_empty() { ptr::null_mut() } else { data.as_mut_ptr() };
        Packet {
            raw: sys::vnet_rss_packet { data: pointer, length: data.len(), arrival_queue, reserved: [0; 3] },
            _data: PhantomData,
        }
    }

    /// `arrival_queue`.
    pub fn arrival_queue(&self) -> u16 {
        self.raw.arrival_queue
    }

    /// `length`: header and frame.
    pub fn len(&self) -> usize {
        self.raw.length
    }

    /// Whether the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.length == 0
    }
}

/// A configuration prepared for `queue_count` receive queues (`vnet_rss_classifier`). Freed on
/// drop (`vnet_rss_classifier_free`).
///
/// `Send` and `Sync`: the classifier is immutable and `vnet_rss_classify` is "any thread".
#[derive(Debug)]
pub struct Classifier {
    raw: NonNull<sys::vnet_rss_classifier>,
}

// SAFETY: vnet_rss.h: creating and classifying are "any thread" (the classifier is immutable);
// vnet_rss_classifier_free runs only in Drop, after every borrow ended.
unsafe impl Send for Classifier {}
// SAFETY: as above; `&Classifier` reaches only vnet_rss_classify and vnet_rss_classify_batch,
// "any thread per classifier".
unsafe impl Sync for Classifier {}

impl Classifier {
    /// Prepares `config` for `queue_count` receive queues (`vnet_rss_classifier_create`): the
    /// Toeplitz key, and the indirection table reduced modulo the queues. A configuration
    /// every policy refuses gives [`Error::Refused`].
    pub fn new(config: &Config, queue_count: u16, rule: ExtensionHeaderRule) -> Result<Classifier> {
        let mut out = ptr::null_mut();
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: `config` is live; `out` and `error` are valid for writes.
        let code =
            unsafe { sys::vnet_rss_classifier_create(config.as_ptr(), queue_count, rule.raw(), &mut out, &mut error) };
        check("vnet_rss_classifier_create", code, Some(&error))?;
        NonNull::new(out)
            .map(|raw| Classifier { raw })
            .ok_or(Error::Os { function: "vnet_rss_classifier_create", errno: EPROTO })
    }

    /// Decides the frame after the `header_size`-byte vnet header at the front of `packet` and
    /// writes num_buffers (1), hash_value and hash_report into that header (`vnet_rss_classify`;
    /// nothing at or past `header_size` is written). A packet shorter than its header is
    /// decided as an empty frame and left alone. No allocation, lock or system call.
    pub fn classify(&self, packet: &mut [u8], header_size: usize, arrival_queue: u16) -> Result<Decision> {
        let mut decision = Decision::default();
        let pointer = if packet.is_empty() { ptr::null_mut() } else { packet.as_mut_ptr() };
        // SAFETY: `pointer` is valid for reads and writes of `packet.len()` bytes (NULL with 0)
        // and the library writes only below `header_size` within that length; `decision` has
        // the layout of vnet_rss_decision (asserted above).
        let code = unsafe {
            sys::vnet_rss_classify(
                self.raw.as_ptr(),
                pointer,
                packet.len(),
                header_size,
                arrival_queue,
                (&mut decision as *mut Decision).cast(),
            )
        };
        check("vnet_rss_classify", code, None)?;
        Ok(decision)
    }

    /// Decides `packets` as [`Classifier::classify`] would, two at a time (one GFNI pass where
    /// the CPU has it), `batch`'s capacity per pass, writing each header and `decisions[i]`
    /// (`vnet_rss_classify_batch`). [`Error::BufferTooSmall`] when `decisions` is shorter than
    /// `packets`. No allocation.
    pub fn classify_batch(
        &self,
        batch: &mut Batch,
        packets: &mut [Packet<'_>],
        header_size: usize,
        decisions: &mut [Decision],
    ) -> Result<()> {
        if decisions.len() < packets.len() {
            return Err(Error::BufferTooSmall { needed: packets.len(), capacity: decisions.len() });
        }
        // SAFETY: Packet is a transparent vnet_rss_packet whose pointer and length come from a
        // `&mut [u8]` borrowed for the packet's lifetime (so no two packets alias); `decisions`
        // holds at least `packets.len()` vnet_rss_decision-shaped entries; the batch is
        // borrowed mutably (one thread at a time per batch).
        let code = unsafe {
            sys::vnet_rss_classify_batch(
                self.raw.as_ptr(),
                batch.raw.as_ptr(),
                packets.as_ptr().cast(),
                packets.len(),
                header_size,
                decisions.as_mut_ptr().cast(),
            )
        };
        check("vnet_rss_classify_batch", code, None).map(drop)
    }

    /// The C handle, valid while `self` lives.
    pub fn as_ptr(&self) -> *const sys::vnet_rss_classifier {
        self.raw.as_ptr()
    }
}

impl Drop for Classifier {
    fn drop(&mut self) {
        // SAFETY: created by the library, freed once; Drop runs after every borrow ended.
        unsafe { sys::vnet_rss_classifier_free(self.raw.as_ptr()) }
    }
}

/// A batch workspace for up to `capacity` packets per pass (`vnet_rss_batch`), one per thread.
/// Freed on drop (`vnet_rss_batch_free`).
///
/// `Send` but not `Sync`: "one thread at a time per batch"; [`Classifier::classify_batch`]
/// borrows it mutably.
#[derive(Debug)]
pub struct Batch {
    raw: NonNull<sys::vnet_rss_batch>,
}

// SAFETY: the workspace is plain memory the library allocated; moving it to another thread is
// fine as long as one thread at a time uses it, which `&mut Batch` ensures.
unsafe impl Send for Batch {}

impl Batch {
    /// A workspace for up to `capacity` packets per pass (`vnet_rss_batch_create`); zero or a
    /// huge capacity gives EINVAL.
    pub fn new(capacity: usize) -> Result<Batch> {
        crate::ensure_abi()?;
        let mut out = ptr::null_mut();
        // SAFETY: `out` is valid for writes.
        let code = unsafe { sys::vnet_rss_batch_create(capacity, &mut out) };
        check("vnet_rss_batch_create", code, None)?;
        NonNull::new(out).map(|raw| Batch { raw }).ok_or(Error::Os { function: "vnet_rss_batch_create", errno: EPROTO })
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // SAFETY: created by the library, freed once.
        unsafe { sys::vnet_rss_batch_free(self.raw.as_ptr()) }
    }
}
