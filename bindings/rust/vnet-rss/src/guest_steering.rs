//! Kernel steering for a VMM's own datapath (`vnet_rss_steering_*`): the steering program
//! queues each frame on the tap queue of its receive queue, the VMM's thread for that queue
//! `readv`s it straight into the guest's descriptor chain, and the hash report is written there,
//! in place. No thread, buffer or read of the library's.

use std::cell::Cell;
use std::fmt;
use std::io::IoSliceMut;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use vnet_rss_sys as sys;

use crate::classifier::ExtensionHeaderRule;
use crate::config::Config;
use crate::error::{check, Error, EPROTO};
use crate::steering::{Steerer, SteeringProgram};
use crate::Result;

/// Where the hash fields of a virtio_net_hdr_v1_hash lie, from the header's first byte
/// (`VNET_RSS_HASH_FIELDS_OFFSET`).
pub const HASH_FIELDS_OFFSET: usize = sys::VNET_RSS_HASH_FIELDS_OFFSET as usize;

/// How many bytes they are (`VNET_RSS_HASH_FIELDS_SIZE`): hash_value (le32), hash_report
/// (le16), padding (0).
pub const HASH_FIELDS_SIZE: usize = sys::VNET_RSS_HASH_FIELDS_SIZE as usize;

// The safe classify functions pass `&mut [IoSliceMut]` to the library as the `struct iovec`
// array readv took: std guarantees IoSliceMut is ABI compatible with iovec on Unix. The sizes
// and alignment are checked here (the field order is std's promise).
const _: () = assert!(
    size_of::<IoSliceMut<'_>>() == size_of::<sys::iovec>() && align_of::<IoSliceMut<'_>>() == align_of::<sys::iovec>()
);

/// How a [`TapSteering`] steers: the rest of `vnet_rss_steering_create`'s arguments besides the
/// fds, the configuration and the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TapSteeringOptions {
    /// `queue_count`: receive queues steered to, 0 for one per tap fd; at most the fds.
    pub queue_count: u16,
    /// `extension_header_rule` (SPEC).
    pub extension_header_rule: ExtensionHeaderRule,
}

/// A steering object's counters for one tap queue (`vnet_rss_steering_counters`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SteeringCounters {
    /// `frames`: classified or decided on this arrival queue.
    pub frames: u64,
    /// `strays`: of them, frames RSS names another queue for.
    pub strays: u64,
    /// `unclassified`: of them, hash report NONE.
    pub unclassified: u64,
}

/// The 8 bytes of a virtio_net_hdr_v1_hash's hash fields and where they go
/// (`vnet_rss_guest_decision.fields` and `fields_offset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HashFields {
    /// `fields_offset`: from the chain's first byte ([`HASH_FIELDS_OFFSET`]).
    pub offset: usize,
    /// `fields`: hash_value (le32), hash_report (le16), padding (0).
    pub bytes: [u8; HASH_FIELDS_SIZE],
}

impl HashFields {
    /// The bytes of the chain they cover: `offset..offset + 8`.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + HASH_FIELDS_SIZE
    }
}

/// The decision for a frame in guest memory (`vnet_rss_guest_decision`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct GuestDecision {
    /// `hash`: hash_value; 0 when unclassified.
    pub hash: u32,
    /// `report`: hash_report (see [`report`](crate::report)).
    pub report: u16,
    /// `queue`: the receive queue the configuration names.
    pub queue: u16,
    /// `stray`: RSS names another queue than the arrival queue. Deliver it where it arrived (it
    /// cannot move without a copy); the library counts it.
    pub stray: bool,
    /// `fields` at `fields_offset`, when `fields_valid`: the header has hash fields (20 bytes) and
    /// the frame holds it whole. [`QueueClassifier::classify`] has written them in place;
    /// after [`QueueClassifier::decide`] they are the caller's to write.
    pub fields: Option<HashFields>,
}

impl From<&sys::vnet_rss_guest_decision> for GuestDecision {
    fn from(raw: &sys::vnet_rss_guest_decision) -> GuestDecision {
        GuestDecision {
            hash: raw.hash,
            report: raw.report,
            queue: raw.queue,
            stray: raw.stray != 0,
            fields: (raw.fields_valid != 0)
                .then_some(HashFields { offset: usize::from(raw.fields_offset), bytes: raw.fields }),
        }
    }
}

/// A frame a `readv` put in memory, for [`QueueClassifier::classify_batch`]
/// (`vnet_rss_guest_frame`): the iovec array readv took and the byte count it returned, the
/// buffers borrowed mutably for `'a` (the header is written).
#[repr(transparent)]
#[derive(Debug)]
pub struct GuestFrame<'a> {
    raw: sys::vnet_rss_guest_frame,
    _buffers: PhantomData<&'a mut [u8]>,
}

// SAFETY: a GuestFrame is a `&'a mut [IoSliceMut]` (or memory vouched for as one) and a length;
// it is as Send as that borrow.
unsafe impl Send for GuestFrame<'_> {}
// SAFETY: `&GuestFrame` gives no access to the bytes; as Sync as `&mut [u8]`.
unsafe impl Sync for GuestFrame<'_> {}

impl<'a> GuestFrame<'a> {
    /// The frame `readv(fd, buffers, ..)` returned `length` for: `buffers` as readv took them
    /// (IoSliceMut is ABI compatible with `struct iovec` on Unix).
    pub fn new(buffers: &'a mut [IoSliceMut<'_>], length: usize) -> GuestFrame<'a> {
        let iov = if buffers.is_empty() { ptr::null() } else { buffers.as_ptr().cast::<sys::iovec>() };
        // SAFETY: `iov` holds `buffers.len()` elements whose bytes are borrowed mutably for 'a.
        unsafe { GuestFrame::from_raw_parts(iov, buffers.len(), length) }
    }

    /// The frame in `count` elements at `iov` (`length`: what readv returned): for guest memory
    /// Rust cannot borrow, as a VMM maps it.
    ///
    /// # Safety
    ///
    /// For `'a`, `iov` must point to `count` readable `struct iovec`s (or be NULL with a `length`
    /// of 0), and the first `length` bytes they describe must be valid for reads and writes and
    /// not be accessed through Rust references while a batch classifies them. The guest may
    /// write them meanwhile: the library reads each byte once, into a copy, before use.
    pub unsafe fn from_raw_parts(iov: *const sys::iovec, count: usize, length: usize) -> GuestFrame<'a> {
        GuestFrame {
            // A count past u32 is kept past IOV_MAX, which the library refuses (EINVAL).
            raw: sys::vnet_rss_guest_frame {
                iov,
                iovcnt: u32::try_from(count).unwrap_or(u32::MAX),
                reserved: 0,
                length,
            },
            _buffers: PhantomData,
        }
    }

    /// `length`: what readv returned, header and frame.
    pub fn len(&self) -> usize {
        self.raw.length
    }

    /// Whether readv returned no byte.
    pub fn is_empty(&self) -> bool {
        self.raw.length == 0
    }
}

/// [`QueueClassifier::classify_batch`] stopped at a refused frame: the frames before it were
/// decided (their decisions and headers written), the ones from it on were not touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchStopped {
    /// Frames decided before the refused one (`*decided`).
    pub decided: usize,
    /// Why that frame was refused.
    pub error: Error,
}

impl fmt::Display for BatchStopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frame {} of the batch refused: {}", self.decided, self.error)
    }
}

impl std::error::Error for BatchStopped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<BatchStopped> for Error {
    fn from(stopped: BatchStopped) -> Error {
        stopped.error
    }
}

/// What the control handle and the queue classifiers share; the library's object is destroyed
/// when the last of them goes.
struct Shared {
    raw: NonNull<sys::vnet_rss_steering>,
    tap_queues: u16,
    taken: Vec<AtomicBool>,
}

// SAFETY: the library's thread rules are kept by construction: the control functions (attach,
// detach, apply, set_queue_pairs, state) are reached only through `TapSteering`, of which there
// is one and which is not Sync; the classify and decide functions only through `&mut
// QueueClassifier`, of which there is at most one per arrival queue (the `taken` flags);
// statistics is "any thread"; destroy runs in Drop, when no other reference exists.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: the last reference: no call can be running; destroyed once. The tap fds are
        // still open: every handle carries their borrow (or the from_raw_fds promise).
        unsafe { sys::vnet_rss_steering_destroy(self.raw.as_ptr()) }
    }
}

impl Shared {
    fn statistics(&self) -> Result<Vec<SteeringCounters>> {
        let mut counters = vec![sys::vnet_rss_steering_counters::default(); usize::from(self.tap_queues)];
        // SAFETY: a live object ("any thread"); `counters` holds `tap_queues` entries, the
        // capacity passed.
        let code =
            unsafe { sys::vnet_rss_steering_statistics(self.raw.as_ptr(), counters.as_mut_ptr(), counters.len()) };
        let queues = check("vnet_rss_steering_statistics", code, None)?;
        counters.truncate(queues);
        Ok(counters
            .iter()
            .map(|raw| SteeringCounters { frames: raw.frames, strays: raw.strays, unclassified: raw.unclassified })
            .collect())
    }
}

/// Kernel steering over a VMM's own tap fds (`vnet_rss_steering`): the control handle.
///
/// The steering program (TUNSETSTEERINGEBPF) queues each frame on the tap queue of the receive
/// queue the configuration names, so a VMM with one thread per queue pair, each reading its own
/// tap queue, gets exactly its queue's frames. That thread `readv`s a frame into the guest's
/// descriptor chain and hands the same iovecs to its [`QueueClassifier`], which writes the hash
/// fields (bytes 12-19 of the virtio_net_hdr_v1_hash) in place, wherever the chain put them.
/// num_buffers (bytes 10-11) stays the VMM's to write.
///
/// Threads, as vnet_rss.h has them:
/// - the control calls ([`attach`](Self::attach), [`detach`](Self::detach),
///   [`apply`](Self::apply), [`set_queue_pairs`](Self::set_queue_pairs), [`state`](Self::state))
///   from one thread at a time, the control thread: `TapSteering` is `Send`, not `Sync`, and
///   there is one per object;
/// - classify and decide from each queue's thread, concurrently for different arrival queues,
///   one thread at a time per arrival queue: [`TapSteering::classifier`] hands out one
///   [`QueueClassifier`] per tap queue at a time (`Send`, not `Sync`, `&mut self` methods), and
///   they run alongside the control calls (a configuration applied while the queues classify);
/// - [`statistics`](Self::statistics) from any thread.
///
/// The tap fds are borrowed for `'fd` and stay the caller's (their blocking mode, vnet header
/// size and offloads are left alone); every [`QueueClassifier`] carries the same borrow, so the
/// fds outlive the library's object. Dropping the `TapSteering` detaches the program (the tap
/// spreads frames by its own flow hash again); the object is destroyed
/// (`vnet_rss_steering_destroy`) when the last classifier is dropped too. Classifiers still work
/// meanwhile, under the last configuration, and count most frames as strays. Destroying frees
/// memory and closes the program's duplicated fds: if a queue thread drops the last classifier,
/// that happens there, which its seccomp filter may refuse. Drop the classifiers after their
/// threads end, on the control thread, or drop the `TapSteering` last.
///
/// System calls, for a seccomp filter: creation makes ioctl(TUNGETIFF) on each fd and bpf(2) (the
/// load, or for an adopted program BPF_OBJ_GET_INFO_BY_FD and BPF_MAP_LOOKUP_ELEM, with
/// fcntl(F_DUPFD_CLOEXEC)), then publishes; a publication (creation, apply, set_queue_pairs) is
/// two bpf(BPF_MAP_UPDATE_ELEM), the second waiting for an RCU grace period; attach and detach
/// are one ioctl(TUNSETSTEERINGEBPF); set_queue_pairs adds one ioctl(TUNSETQUEUE) per queue that
/// changes. Classifying makes none, allocates nothing and takes no lock.
pub struct TapSteering<'fd> {
    shared: Arc<Shared>,
    queue_count: u16,
    _taps: PhantomData<BorrowedFd<'fd>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for TapSteering<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TapSteering")
            .field("tap_queues", &self.shared.tap_queues)
            .field("queue_count", &self.queue_count)
            .finish()
    }
}

impl<'fd> TapSteering<'fd> {
    /// Steering over the tap queues behind `taps` (`vnet_rss_steering_create`): the VMM's
    /// multi-queue tap fds (IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR), one per queue
    /// pair in queue order, all attached, borrowed for `'fd`. `program`: the descriptors of a
    /// steering program a privileged manager loaded (the library keeps duplicates), or `None`
    /// to load it here, which needs BPF privilege. The configuration is published to the
    /// program's maps; nothing is attached yet ([`TapSteering::attach`]).
    ///
    /// Errors: [`Error::Refused`] for a configuration that cannot be prepared; [`Error::Os`]
    /// with EINVAL for no fd or more than 64, ERANGE for `options.queue_count` above the fds,
    /// EPERM without the privilege to load the program, EBADF or another errno for an fd that
    /// is no multi-queue tap queue or program descriptors that are not a steering program's.
    pub fn new<F: AsFd>(
        taps: &'fd [F],
        config: &Config,
        options: TapSteeringOptions,
        program: Option<&SteeringProgram>,
    ) -> Result<TapSteering<'fd>> {
        let fds: Vec<RawFd> = taps.iter().map(|tap| tap.as_fd().as_raw_fd()).collect();
        // SAFETY: the fds are borrowed for 'fd, which the result and its classifiers carry.
        unsafe { TapSteering::create(&fds, config, options, program) }
    }

    /// [`TapSteering::new`] over fds held as integers, for a VMM whose tap fds are owned where
    /// no borrow reaches (moved into its queue threads, say).
    ///
    /// # Safety
    ///
    /// Each fd must stay open, on the same tap queue, until this `TapSteering` and every
    /// [`QueueClassifier`] made from it are dropped.
    pub unsafe fn from_raw_fds(
        taps: &[RawFd],
        config: &Config,
        options: TapSteeringOptions,
        program: Option<&SteeringProgram>,
    ) -> Result<TapSteering<'static>> {
        // SAFETY: the caller keeps the fds open for as long as the result lives.
        unsafe { TapSteering::create(taps, config, options, program) }
    }

    /// # Safety
    ///
    /// The fds stay open for `'a`.
    unsafe fn create<'a>(
        fds: &[RawFd],
        config: &Config,
        options: TapSteeringOptions,
        program: Option<&SteeringProgram>,
    ) -> Result<TapSteering<'a>> {
        crate::ensure_abi()?;
        let program_fds = program.map(SteeringProgram::as_raw_fds);
        let mut out = ptr::null_mut();
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: `fds` holds `fds.len()` descriptors the caller keeps open for 'a (the library
        // keeps their numbers, not duplicates); `program_fds`, when given, points at
        // VNET_RSS_STEERING_PROGRAM_FDS descriptors the borrowed `program` keeps open for the
        // call (the library duplicates them); `out` and `error` are valid for writes.
        let code = unsafe {
            sys::vnet_rss_steering_create(
                if fds.is_empty() { ptr::null() } else { fds.as_ptr() },
                fds.len(),
                config.as_ptr(),
                options.queue_count,
                options.extension_header_rule.raw(),
                program_fds.as_ref().map_or(ptr::null(), |fds| fds.as_ptr()),
                &mut out,
                &mut error,
            )
        };
        check("vnet_rss_steering_create", code, Some(&error))?;
        let raw = NonNull::new(out).ok_or(Error::Os { function: "vnet_rss_steering_create", errno: EPROTO })?;
        // Created: 1 to 64 fds.
        let tap_queues = u16::try_from(fds.len()).unwrap_or(u16::MAX);
        let shared = Shared { raw, tap_queues, taken: (0..tap_queues).map(|_| AtomicBool::new(false)).collect() };
        let queue_count = if options.queue_count == 0 { tap_queues } else { options.queue_count };
        Ok(TapSteering { shared: Arc::new(shared), queue_count, _taps: PhantomData, _not_sync: PhantomData })
    }

    /// Attaches the program (`vnet_rss_steering_attach`, TUNSETSTEERINGEBPF): now where the
    /// configuration has RSS, else as soon as one with RSS is applied.
    pub fn attach(&mut self) -> Result<()> {
        // SAFETY: a live object; `&mut self` on the one, non-Sync control handle.
        let code = unsafe { sys::vnet_rss_steering_attach(self.shared.raw.as_ptr()) };
        check("vnet_rss_steering_attach", code, None).map(drop)
    }

    /// Detaches it (`vnet_rss_steering_detach`, TUNSETSTEERINGEBPF): the tap spreads frames by
    /// its own flow hash again, and the classifiers count most of them as strays.
    pub fn detach(&mut self) -> Result<()> {
        // SAFETY: a live object; the control handle.
        let code = unsafe { sys::vnet_rss_steering_detach(self.shared.raw.as_ptr()) };
        check("vnet_rss_steering_detach", code, None).map(drop)
    }

    /// Publishes `config` (`vnet_rss_steering_apply`): to the program's maps (never torn), then
    /// to the queue threads. A frame the program steered by the new configuration and a thread
    /// decided by the old is a stray, counted. One that cannot be prepared gives
    /// [`Error::Refused`], and the old one stays. Validate a guest's configuration with
    /// [`Validation::Virtio`](crate::Validation::Virtio) first.
    pub fn apply(&mut self, config: &Config) -> Result<()> {
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: a live object and configuration; the control handle; `error` is valid for
        // writes.
        let code = unsafe { sys::vnet_rss_steering_apply(self.shared.raw.as_ptr(), config.as_ptr(), &mut error) };
        check("vnet_rss_steering_apply", code, Some(&error)).map(drop)
    }

    /// A guest's VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (`vnet_rss_steering_set_queue_pairs`):
    /// attaches tap queues `0..pairs` and detaches the others (TUNSETQUEUE; the program's table
    /// follows the tap's renumbering), and steers to `pairs` receive queues. [`Error::Os`] with
    /// ERANGE for 0 or more pairs than tap fds.
    ///
    /// A detached tap queue's fd reads nothing (EBADFD, and poll reports POLLERR): stop its
    /// queue thread first, as a device stops the queue pairs a guest turned off.
    pub fn set_queue_pairs(&mut self, pairs: u16) -> Result<()> {
        // SAFETY: a live object; the control handle.
        let code = unsafe { sys::vnet_rss_steering_set_queue_pairs(self.shared.raw.as_ptr(), pairs) };
        check("vnet_rss_steering_set_queue_pairs", code, None)?;
        self.queue_count = pairs;
        Ok(())
    }

    /// Who steers now (`vnet_rss_steering_state`): [`Steerer::Program`] while the program is
    /// attached, else [`Steerer::Userspace`] (the tap's own spreading; classifying still
    /// reports).
    pub fn state(&self) -> Result<Steerer> {
        // SAFETY: a live object; `&self` on the non-Sync control handle: the control thread.
        let code = unsafe { sys::vnet_rss_steering_state(self.shared.raw.as_ptr()) };
        let value = check("vnet_rss_steering_state", code, None)?;
        u32::try_from(value)
            .ok()
            .and_then(Steerer::from_raw)
            .ok_or(Error::Os { function: "vnet_rss_steering_state", errno: EPROTO })
    }

    /// The counters of each tap queue, by fd index (`vnet_rss_steering_statistics`).
    pub fn statistics(&self) -> Result<Vec<SteeringCounters>> {
        self.shared.statistics()
    }

    /// The tap queues: the fds given, which are also the arrival queues.
    pub fn tap_queue_count(&self) -> u16 {
        self.shared.tap_queues
    }

    /// The receive queues steered to: [`TapSteeringOptions::queue_count`] (or one per fd), then
    /// the last [`TapSteering::set_queue_pairs`].
    pub fn queue_count(&self) -> u16 {
        self.queue_count
    }

    /// The classifier of frames read from tap queue `arrival_queue` (its fd's index): one at a
    /// time per queue (the C ABI's "one thread at a time per arrival queue"),
    /// [`Error::ClassifierTaken`] while another is alive, [`Error::QueueOutOfRange`] past the
    /// fds. `Send`, to move to that queue's thread.
    pub fn classifier(&self, arrival_queue: u16) -> Result<QueueClassifier<'fd>> {
        let flag = self
            .shared
            .taken
            .get(usize::from(arrival_queue))
            .ok_or(Error::QueueOutOfRange { queue: arrival_queue, queues: self.shared.tap_queues })?;
        if flag.swap(true, Ordering::AcqRel) {
            return Err(Error::ClassifierTaken { arrival_queue });
        }
        Ok(QueueClassifier {
            shared: Arc::clone(&self.shared),
            arrival_queue,
            _taps: PhantomData,
            _not_sync: PhantomData,
        })
    }

    /// A classifier for every tap queue, in queue order.
    pub fn classifiers(&self) -> Result<Vec<QueueClassifier<'fd>>> {
        (0..self.shared.tap_queues).map(|queue| self.classifier(queue)).collect()
    }

    /// The C handle, valid while `self` lives (for vnet-rss-sys calls that keep the thread
    /// rules).
    pub fn as_ptr(&self) -> *mut sys::vnet_rss_steering {
        self.shared.raw.as_ptr()
    }
}

impl Drop for TapSteering<'_> {
    fn drop(&mut self) {
        // SAFETY: the control handle's last call; the object stays alive for the classifiers.
        unsafe { sys::vnet_rss_steering_detach(self.shared.raw.as_ptr()) };
    }
}

/// `vnet_rss_steering_classify_iov` and `vnet_rss_steering_decide_iov`: one signature.
type SteerFunction = unsafe extern "C" fn(
    *mut sys::vnet_rss_steering,
    u16,
    *const sys::iovec,
    std::ffi::c_int,
    usize,
    usize,
    *mut sys::vnet_rss_guest_decision,
) -> std::ffi::c_int;

/// Decisions converted per call of `vnet_rss_steering_classify_iov_batch`, on the stack.
const BATCH_CHUNK: usize = 32;

/// The classifier of one tap queue's frames, made by [`TapSteering::classifier`]: the VMM's
/// thread for that queue hands it each frame its `readv` put in guest memory.
///
/// `Send` but not `Sync`; its methods take `&mut self` (one thread at a time per arrival
/// queue). No allocation, lock or system call in classify and decide: they can run under a
/// seccomp filter that allows only the queue thread's readv and poll. [`statistics`](Self::statistics)
/// allocates its result, and dropping the last classifier may destroy the library's object
/// (see [`TapSteering`]): neither belongs on such a thread.
pub struct QueueClassifier<'fd> {
    shared: Arc<Shared>,
    arrival_queue: u16,
    _taps: PhantomData<BorrowedFd<'fd>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for QueueClassifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueClassifier").field("arrival_queue", &self.arrival_queue).finish()
    }
}

impl QueueClassifier<'_> {
    /// The tap queue whose frames this classifier decides (its fd's index).
    pub fn arrival_queue(&self) -> u16 {
        self.arrival_queue
    }

    /// Decides the frame `readv(fd, buffers, ..)` put in `buffers` (`length`: what readv
    /// returned) and writes bytes 12-19 of its header (hash_value, hash_report, padding)
    /// wherever they fall (`vnet_rss_steering_classify_iov`); never num_buffers, nor any other
    /// byte. `header_size` is the tap's vnet header: 20 (virtio_net_hdr_v1_hash) or 12
    /// (virtio_net_hdr_v1: nothing written). A frame shorter than its header is unclassified and
    /// untouched.
    ///
    /// `buffers` is passed as the `struct iovec` array readv took: IoSliceMut is ABI compatible
    /// with iovec on Unix (std's guarantee).
    ///
    /// Errors ([`Error::Os`]): EINVAL for another header size or more than IOV_MAX (1,024)
    /// buffers, ERANGE for a `length` past the buffers; nothing is read or written then.
    pub fn classify(
        &mut self,
        buffers: &mut [IoSliceMut<'_>],
        length: usize,
        header_size: usize,
    ) -> Result<GuestDecision> {
        // SAFETY: the elements are IoSliceMuts (iovec layout), each borrowed mutably with its
        // bytes for the call, of which the library reads and writes at most the first `length`.
        unsafe { self.classify_raw(iovecs(buffers), buffers.len(), length, header_size) }
    }

    /// [`QueueClassifier::classify`] without writing (`vnet_rss_steering_decide_iov`): the
    /// decision's [`GuestDecision::fields`] are for the caller to write at their offset, for a
    /// VMM that writes guest memory through its own accessors (dirty-page logging).
    pub fn decide(&mut self, buffers: &[IoSliceMut<'_>], length: usize, header_size: usize) -> Result<GuestDecision> {
        // SAFETY: as in classify; the buffers are borrowed shared and decide only reads them.
        unsafe { self.decide_raw(iovecs(buffers), buffers.len(), length, header_size) }
    }

    /// [`QueueClassifier::classify`] over `count` elements at `iov`: for guest memory Rust
    /// cannot borrow, where a VMM builds its iovecs from descriptor addresses (a
    /// `Vec<libc::iovec>` has this layout).
    ///
    /// # Safety
    ///
    /// `iov` must point to `count` readable `struct iovec`s (it may be NULL when `length` is 0),
    /// and the first `length` bytes they describe must be valid for reads and writes during the
    /// call, not borrowed by any Rust reference. The guest may write them meanwhile: the library
    /// reads each byte once, into a copy, before use.
    pub unsafe fn classify_raw(
        &mut self,
        iov: *const sys::iovec,
        count: usize,
        length: usize,
        header_size: usize,
    ) -> Result<GuestDecision> {
        // SAFETY: the caller's promise, for reads and writes.
        unsafe {
            self.steer(
                "vnet_rss_steering_classify_iov",
                sys::vnet_rss_steering_classify_iov,
                iov,
                count,
                length,
                header_size,
            )
        }
    }

    /// [`QueueClassifier::decide`] over `count` elements at `iov`.
    ///
    /// # Safety
    ///
    /// As for [`QueueClassifier::classify_raw`], with the bytes valid for reads only.
    pub unsafe fn decide_raw(
        &mut self,
        iov: *const sys::iovec,
        count: usize,
        length: usize,
        header_size: usize,
    ) -> Result<GuestDecision> {
        // SAFETY: the caller's promise, for reads; decide writes nothing.
        unsafe {
            self.steer(
                "vnet_rss_steering_decide_iov",
                sys::vnet_rss_steering_decide_iov,
                iov,
                count,
                length,
                header_size,
            )
        }
    }

    /// # Safety
    ///
    /// `iov`, `count` and `length` describe memory as `classify_raw` requires (for writes too
    /// when `function` is the classify function).
    unsafe fn steer(
        &mut self,
        name: &'static str,
        function: SteerFunction,
        iov: *const sys::iovec,
        count: usize,
        length: usize,
        header_size: usize,
    ) -> Result<GuestDecision> {
        let mut decision = sys::vnet_rss_guest_decision::default();
        // A count past c_int is kept past IOV_MAX, which the library refuses (EINVAL).
        let count = std::ffi::c_int::try_from(count).unwrap_or(std::ffi::c_int::MAX);
        // SAFETY: the caller vouches for the elements and their bytes; `&mut self` is the one
        // thread of this arrival queue, which lies within the fds (checked when the classifier
        // was made); `decision` is valid for writes.
        let code = unsafe {
            function(self.shared.raw.as_ptr(), self.arrival_queue, iov, count, length, header_size, &mut decision)
        };
        check(name, code, None)?;
        Ok(GuestDecision::from(&decision))
    }

    /// [`QueueClassifier::classify`] for each of `frames`, in order, into `decisions[i]`
    /// (`vnet_rss_steering_classify_iov_batch`, 32 frames per call). At the first refused frame
    /// it stops: [`BatchStopped`] says how many were decided before it and why it was refused.
    /// `decisions` shorter than `frames` gives [`Error::BufferTooSmall`] with 0 decided.
    pub fn classify_batch(
        &mut self,
        frames: &mut [GuestFrame<'_>],
        header_size: usize,
        decisions: &mut [GuestDecision],
    ) -> std::result::Result<(), BatchStopped> {
        if decisions.len() < frames.len() {
            let error = Error::BufferTooSmall { needed: frames.len(), capacity: decisions.len() };
            return Err(BatchStopped { decided: 0, error });
        }
        for (index, (frames, decisions)) in
            frames.chunks(BATCH_CHUNK).zip(decisions.chunks_mut(BATCH_CHUNK)).enumerate()
        {
            let mut raw = [sys::vnet_rss_guest_decision::default(); BATCH_CHUNK];
            let mut decided = 0usize;
            // SAFETY: GuestFrame is a transparent vnet_rss_guest_frame whose elements and bytes
            // are borrowed mutably for the frame's lifetime (or vouched for by from_raw_parts);
            // `raw` has room for the chunk's frames (at most BATCH_CHUNK); `&mut self` is the
            // one thread of this arrival queue.
            let code = unsafe {
                sys::vnet_rss_steering_classify_iov_batch(
                    self.shared.raw.as_ptr(),
                    self.arrival_queue,
                    frames.as_ptr().cast::<sys::vnet_rss_guest_frame>(),
                    frames.len(),
                    header_size,
                    raw.as_mut_ptr(),
                    &mut decided,
                )
            };
            let decided_here = if code < 0 { decided.min(frames.len()) } else { frames.len() };
            for (decision, raw) in decisions.iter_mut().zip(&raw[..decided_here]) {
                *decision = GuestDecision::from(raw);
            }
            if let Err(error) = check("vnet_rss_steering_classify_iov_batch", code, None) {
                return Err(BatchStopped { decided: index * BATCH_CHUNK + decided_here, error });
            }
        }
        Ok(())
    }

    /// The counters of each tap queue, by fd index (`vnet_rss_steering_statistics`, any
    /// thread). Allocates the `Vec` (and the library its own copy): not on a queue thread whose
    /// seccomp filter refuses `mmap` and `brk`.
    pub fn statistics(&self) -> Result<Vec<SteeringCounters>> {
        self.shared.statistics()
    }
}

impl Drop for QueueClassifier<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.shared.taken.get(usize::from(self.arrival_queue)) {
            flag.store(false, Ordering::Release);
        }
    }
}

/// `buffers` as the `struct iovec` array they are laid out as, or NULL when there are none.
fn iovecs(buffers: &[IoSliceMut<'_>]) -> *const sys::iovec {
    if buffers.is_empty() {
        ptr::null()
    } else {
        buffers.as_ptr().cast()
    }
}
