//! Engines: reader threads over a multi-queue tap, frames steered to receive queues.

use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::slice;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use vnet_rss_sys as sys;

use crate::classifier::ExtensionHeaderRule;
use crate::config::{Config, Features, HashTypes};
use crate::error::{check, Error, ENOSPC, EPROTO, ERANGE};
use crate::steering::{ActiveSteering, Steerer, Steering, SteeringProgram};
use crate::Result;

/// How an engine reads its tap queues (`VNET_RSS_READER_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reader {
    /// `VNET_RSS_READER_READ`: epoll and non-blocking read().
    #[default]
    Read,
    /// `VNET_RSS_READER_URING`: io_uring multishot read (Linux 6.7+), else single-shot.
    Uring,
    /// `VNET_RSS_READER_URING_SINGLE`: io_uring single-shot reads.
    UringSingle,
}

impl Reader {
    /// The `VNET_RSS_READER_*` value.
    pub const fn raw(self) -> u32 {
        match self {
            Reader::Read => sys::VNET_RSS_READER_READ,
            Reader::Uring => sys::VNET_RSS_READER_URING,
            Reader::UringSingle => sys::VNET_RSS_READER_URING_SINGLE,
        }
    }
}

/// A handler reader threads call with every frame (`vnet_rss_engine_options.inline_handler`):
/// concurrently from several readers, so `Send + Sync`. A panic in it is caught on the reader
/// thread (it cannot unwind through the library), counted
/// ([`Engine::inline_handler_panics`]), and the frame is lost.
pub type InlineHandler = Arc<dyn Fn(&Frame<'_>) + Send + Sync>;

/// How an engine runs (`vnet_rss_engine_options`); zero fields take the library's defaults.
#[derive(Clone, Default)]
pub struct EngineOptions {
    /// `reader` (READ).
    pub reader: Reader,
    /// `receive_queues`: receive queues steered to, 0 for as many as tap queues; at most 64.
    pub receive_queues: u32,
    /// `buffers_per_queue`: receive buffers per tap queue (512).
    pub buffers_per_queue: u32,
    /// `buffer_size`: bytes per buffer, header included (2,048).
    pub buffer_size: u32,
    /// `ring_capacity`: slots per reader-to-queue ring (256).
    pub ring_capacity: u32,
    /// `extension_header_rule` (SPEC).
    pub extension_header_rule: ExtensionHeaderRule,
    /// `inline_handler` and `inline_context`: when set, frames go to it from the reader
    /// threads and the receive functions hand nothing.
    pub inline_handler: Option<InlineHandler>,
}

impl fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineOptions")
            .field("reader", &self.reader)
            .field("receive_queues", &self.receive_queues)
            .field("buffers_per_queue", &self.buffers_per_queue)
            .field("buffer_size", &self.buffer_size)
            .field("ring_capacity", &self.ring_capacity)
            .field("extension_header_rule", &self.extension_header_rule)
            .field("inline_handler", &self.inline_handler.as_ref().map(|_| "Fn(&Frame)"))
            .finish()
    }
}

/// The library's default buffer size (`vnet_rss_engine_options.buffer_size` 0).
const DEFAULT_BUFFER_SIZE: usize = 2048;

/// A frame an engine hands over (`vnet_rss_frame`): the vnet header (num_buffers and the hash
/// fields written) and the frame, borrowed for `'a`.
#[repr(transparent)]
pub struct Frame<'a> {
    raw: sys::vnet_rss_frame,
    _packet: PhantomData<&'a [u8]>,
}

impl<'a> Frame<'a> {
    /// `packet` and `length`: the header and the frame.
    pub fn packet(&self) -> &'a [u8] {
        if self.raw.packet.is_null() || self.raw.length == 0 {
            return &[];
        }
        // SAFETY: the library hands `length` readable bytes at `packet`, valid for 'a (the
        // handler call, or the caller's buffer borrowed by receive_into).
        unsafe { slice::from_raw_parts(self.raw.packet, self.raw.length as usize) }
    }

    /// `header_size`: the vnet header's size (20: virtio_net_hdr_v1_hash).
    pub fn header_size(&self) -> usize {
        self.raw.header_size as usize
    }

    /// The vnet header in front of the frame.
    pub fn header(&self) -> &'a [u8] {
        let packet = self.packet();
        &packet[..self.header_size().min(packet.len())]
    }

    /// The Ethernet frame after the header.
    pub fn frame(&self) -> &'a [u8] {
        let packet = self.packet();
        &packet[self.header_size().min(packet.len())..]
    }

    /// `hash`: hash_value.
    pub fn hash(&self) -> u32 {
        self.raw.hash
    }

    /// `report`: hash_report (see [`report`](crate::report)).
    pub fn report(&self) -> u16 {
        self.raw.report
    }

    /// `tap_queue`: the tap queue it was read on.
    pub fn tap_queue(&self) -> u16 {
        self.raw.tap_queue
    }

    /// `queue`: the receive queue it was steered to.
    pub fn queue(&self) -> u16 {
        self.raw.queue
    }
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("length", &self.raw.length)
            .field("header_size", &self.raw.header_size)
            .field("hash", &format_args!("{:#010x}", self.raw.hash))
            .field("report", &self.raw.report)
            .field("tap_queue", &self.raw.tap_queue)
            .field("queue", &self.raw.queue)
            .finish()
    }
}

/// Room for one frame's description in [`QueueReceiver::receive_into`] (a `vnet_rss_frame`
/// the library fills).
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub struct FrameSlot(sys::vnet_rss_frame);

// SAFETY: a slot is storage only; its pointer is read only through the `Frame` that
// receive_into returns, whose lifetime holds the buffers' borrow.
unsafe impl Send for FrameSlot {}
// SAFETY: as above; `&FrameSlot` gives nothing.
unsafe impl Sync for FrameSlot {}

impl fmt::Debug for FrameSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FrameSlot")
    }
}

/// An engine's counters (`vnet_rss_statistics`, and the per-queue arrays of
/// `vnet_rss_engine_statistics`). Frames read = frames delivered + frames dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    /// `frames_read`.
    pub frames_read: u64,
    /// `bytes_read`.
    pub bytes_read: u64,
    /// `frames_delivered`.
    pub frames_delivered: u64,
    /// `frames_dropped`: a receive queue's ring was full.
    pub frames_dropped: u64,
    /// `frames_unclassified`: hash report NONE.
    pub frames_unclassified: u64,
    /// `frames_redirected`: steered away from the tap queue they arrived on.
    pub frames_redirected: u64,
    /// Frames delivered per receive queue.
    pub delivered: Vec<u64>,
    /// Frames dropped per receive queue.
    pub dropped: Vec<u64>,
}

/// What the kernel behind a tap does itself (`vnet_rss_capability`, TUNGETVNETHASHCAP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Capability {
    /// `features`.
    pub features: Features,
    /// `hash_types`.
    pub hash_types: HashTypes,
}

/// Asks the tap behind `tap` (attached) what RSS it does itself (`vnet_rss_kernel_capability`).
/// A kernel without the series gives [`Error::Os`] with EINVAL or ENOTTY.
pub fn kernel_capability(tap: BorrowedFd<'_>) -> Result<Capability> {
    let mut capability = sys::vnet_rss_capability::default();
    // SAFETY: the fd is open for the call (borrowed); `capability` is valid for writes.
    let code = unsafe { sys::vnet_rss_kernel_capability(tap.as_raw_fd(), &mut capability) };
    check("vnet_rss_kernel_capability", code, None)?;
    Ok(Capability {
        features: Features::from_bits_retain(capability.features),
        hash_types: HashTypes::from_bits_retain(capability.hash_types),
    })
}

struct InlineContext {
    handler: InlineHandler,
    panics: AtomicU64,
}

unsafe extern "C" fn inline_trampoline(frame: *const sys::vnet_rss_frame, context: *mut c_void) {
    if frame.is_null() || context.is_null() {
        return;
    }
    // SAFETY: `context` is the InlineContext boxed in Shared, alive until after
    // vnet_rss_engine_destroy has joined the readers; only shared access (Fn, atomics).
    let context = unsafe { &*(context as *const InlineContext) };
    // SAFETY: the library hands a valid frame for the duration of this call; Frame is a
    // transparent vnet_rss_frame.
    let frame = unsafe { &*(frame as *const Frame<'_>) };
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| (context.handler)(frame))) {
        context.panics.fetch_add(1, Ordering::Relaxed);
        // Dropping the payload could panic again, outside catch_unwind: leak it instead.
        std::mem::forget(payload);
    }
}

/// What the engine handle and its receivers share; the library's engine is destroyed when the
/// last of them goes, and the tap fds are closed after that.
struct Shared {
    raw: NonNull<sys::vnet_rss_engine>,
    queues: u16,
    buffer_size: usize,
    closed: AtomicBool,
    taken: Vec<AtomicBool>,
    // Dropped after `Drop::drop` has destroyed the engine: the fds outlive the readers.
    taps: Vec<OwnedFd>,
    inline: Option<Box<InlineContext>>,
}

// SAFETY: the library's thread rules are kept by construction: the control functions (start,
// stop, apply, set_tap_queue) are reached only through `&mut Engine`, of which there is one;
// receive, receive_into and wait only through `&mut QueueReceiver`, of which there is at most
// one per queue (the `taken` flags); statistics, steering and queue_count are "any thread";
// destroy runs in Drop, when no other reference exists.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: the last reference: no call can be running; the engine is destroyed once,
        // before `taps` and `inline` are dropped.
        unsafe { sys::vnet_rss_engine_destroy(self.raw.as_ptr()) }
    }
}

/// An engine over the queues of a multi-queue tap (`vnet_rss_engine`): one reader thread per
/// tap queue decides each frame and hands it to its receive queue's consumer.
///
/// The engine owns the tap fds and closes them after destroying the library's engine (the C
/// contract: the fds stay open until the engine is destroyed). Dropping the `Engine` stops the
/// readers (`vnet_rss_engine_stop`); the library's engine is destroyed
/// (`vnet_rss_engine_destroy`) when the last [`QueueReceiver`] is dropped too, and receivers
/// used after that give [`Error::EngineClosed`].
///
/// The control functions take `&mut self` ("one thread at a time, the control thread");
/// [`Engine::statistics`], [`Engine::steering`] and [`Engine::queue_count`] take `&self` ("any
/// thread"), so the engine is `Send` and `Sync`.
pub struct Engine {
    shared: Arc<Shared>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("queues", &self.shared.queues).field("taps", &self.shared.taps).finish()
    }
}

impl Engine {
    /// An engine over `taps` (`vnet_rss_engine_create`): multi-queue tap fds opened with
    /// IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR, one per queue, in queue order.
    /// The library makes them non-blocking and sets a 20-byte vnet header. The readers start
    /// with [`Engine::start`]. On failure the fds are closed.
    ///
    /// Steers as [`Steering::Automatic`]: the kernel series' RSS, else the steering program,
    /// else userspace ([`Engine::steering`] says which and why).
    pub fn new(taps: Vec<OwnedFd>, config: &Config, options: EngineOptions) -> Result<Engine> {
        Engine::create(taps, config, options, None)
    }

    /// An engine as [`Engine::new`] makes, with the steering asked for
    /// (`vnet_rss_engine_create_steered`) and, optionally, the descriptors of a steering
    /// program another process loaded (`program_fds`; the engine keeps duplicates, so `program`
    /// stays the caller's). With them no BPF privilege is needed, only map updates and
    /// TUNSETSTEERINGEBPF. The engine attaches the program when it starts and detaches it when
    /// it stops.
    ///
    /// A mode that cannot be had fails with [`Error::Os`] and the errno of the refusal: EPERM
    /// (no privilege to load the program), EOPNOTSUPP ([`Steering::Kernel`] on a kernel whose
    /// TUNSETVNETHASH does not cover the configuration), EINVAL ([`Steering::Program`] with
    /// more receive queues than tap queues), EBADF or another errno for program descriptors
    /// that are not a steering program's. [`Steering::Automatic`] falls back instead. On
    /// failure the tap fds are closed.
    pub fn with_steering(
        taps: Vec<OwnedFd>,
        config: &Config,
        options: EngineOptions,
        steering: Steering,
        program: Option<&SteeringProgram>,
    ) -> Result<Engine> {
        Engine::create(taps, config, options, Some((steering, program)))
    }

    fn create(
        taps: Vec<OwnedFd>,
        config: &Config,
        options: EngineOptions,
        steering: Option<(Steering, Option<&SteeringProgram>)>,
    ) -> Result<Engine> {
        crate::ensure_abi()?;
        let fds: Vec<i32> = taps.iter().map(AsRawFd::as_raw_fd).collect();
        let inline =
            options.inline_handler.map(|handler| Box::new(InlineContext { handler, panics: AtomicU64::new(0) }));
        let raw_options = sys::vnet_rss_engine_options {
            reader: options.reader.raw(),
            receive_queues: options.receive_queues,
            buffers_per_queue: options.buffers_per_queue,
            buffer_size: options.buffer_size,
            ring_capacity: options.ring_capacity,
            extension_header_rule: options.extension_header_rule.raw(),
            inline_handler: inline.as_ref().map(|_| inline_trampoline as unsafe extern "C" fn(_, _)),
            inline_context: inline.as_deref().map_or(ptr::null_mut(), |c| c as *const InlineContext as *mut c_void),
        };
        let mut out = ptr::null_mut();
        let mut error = sys::vnet_rss_error::default();
        let tap_fds = if fds.is_empty() { ptr::null() } else { fds.as_ptr() };
        let (function, code) = match steering {
            None => (
                "vnet_rss_engine_create",
                // SAFETY: `fds` holds `fds.len()` open descriptors owned by `taps`, which the
                // engine keeps until after destroy; the options and their context (boxed, moved
                // into Shared below) outlive the engine; `out` and `error` are valid for writes.
                unsafe {
                    sys::vnet_rss_engine_create(tap_fds, fds.len(), config.as_ptr(), &raw_options, &mut out, &mut error)
                },
            ),
            Some((steering, program)) => {
                let program_fds = program.map(SteeringProgram::as_raw_fds);
                (
                    "vnet_rss_engine_create_steered",
                    // SAFETY: as for vnet_rss_engine_create above; `program_fds`, when given,
                    // points at VNET_RSS_STEERING_PROGRAM_FDS descriptors kept open by the
                    // borrowed `program` for the call (the engine keeps duplicates, not these).
                    unsafe {
                        sys::vnet_rss_engine_create_steered(
                            tap_fds,
                            fds.len(),
                            config.as_ptr(),
                            &raw_options,
                            steering.raw(),
                            program_fds.as_ref().map_or(ptr::null(), |fds| fds.as_ptr()),
                            &mut out,
                            &mut error,
                        )
                    },
                )
            }
        };
        check(function, code, Some(&error))?;
        let raw = NonNull::new(out).ok_or(Error::Os { function, errno: EPROTO })?;
        // SAFETY: `raw` is a live engine ("any thread").
        let queues = unsafe { sys::vnet_rss_engine_queue_count(raw.as_ptr()) };
        let shared = Shared {
            raw,
            queues: u16::try_from(queues).unwrap_or(0),
            buffer_size: if options.buffer_size == 0 { DEFAULT_BUFFER_SIZE } else { options.buffer_size as usize },
            closed: AtomicBool::new(false),
            taken: (0..queues.max(0)).map(|_| AtomicBool::new(false)).collect(),
            taps,
            inline,
        };
        check("vnet_rss_engine_queue_count", queues, None)?;
        Ok(Engine { shared: Arc::new(shared) })
    }

    /// Starts one reader thread per tap queue (`vnet_rss_engine_start`).
    pub fn start(&mut self) -> Result<()> {
        // SAFETY: a live engine; `&mut self` makes this the one control thread.
        let code = unsafe { sys::vnet_rss_engine_start(self.shared.raw.as_ptr()) };
        check("vnet_rss_engine_start", code, None).map(drop)
    }

    /// Stops and joins the readers (`vnet_rss_engine_stop`); frames already handed over stay
    /// receivable.
    pub fn stop(&mut self) -> Result<()> {
        // SAFETY: a live engine; `&mut self` makes this the one control thread.
        let code = unsafe { sys::vnet_rss_engine_stop(self.shared.raw.as_ptr()) };
        check("vnet_rss_engine_stop", code, None).map(drop)
    }

    /// Publishes a new configuration with one atomic swap (`vnet_rss_engine_apply`): each frame
    /// is decided wholly by the old or wholly by the new one. One that cannot be prepared gives
    /// [`Error::Refused`] and the old one stays. Validate a guest's configuration with
    /// [`Validation::Virtio`](crate::Validation::Virtio) first.
    pub fn apply(&mut self, config: &Config) -> Result<()> {
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: a live engine and configuration; `&mut self`: the control thread.
        let code = unsafe { sys::vnet_rss_engine_apply(self.shared.raw.as_ptr(), config.as_ptr(), &mut error) };
        check("vnet_rss_engine_apply", code, Some(&error)).map(drop)
    }

    /// Attaches (`true`) or detaches (`false`) tap queue `tap_queue`
    /// (`vnet_rss_engine_set_tap_queue`, TUNSETQUEUE); [`Error::QueueOutOfRange`] past the
    /// tap's.
    pub fn set_tap_queue(&mut self, tap_queue: u16, attached: bool) -> Result<()> {
        // SAFETY: a live engine; `&mut self`: the control thread.
        let code =
            unsafe { sys::vnet_rss_engine_set_tap_queue(self.shared.raw.as_ptr(), tap_queue, i32::from(attached)) };
        if code == -ERANGE {
            let queues = u16::try_from(self.shared.taps.len()).unwrap_or(u16::MAX);
            return Err(Error::QueueOutOfRange { queue: tap_queue, queues });
        }
        check("vnet_rss_engine_set_tap_queue", code, None).map(drop)
    }

    /// The counters, totals and per receive queue (`vnet_rss_engine_statistics`).
    pub fn statistics(&self) -> Result<Statistics> {
        let queues = usize::from(self.shared.queues);
        let mut totals = sys::vnet_rss_statistics::default();
        let mut delivered = vec![0u64; queues];
        let mut dropped = vec![0u64; queues];
        // SAFETY: a live engine ("any thread"); the arrays hold `queues` entries each.
        let code = unsafe {
            sys::vnet_rss_engine_statistics(
                self.shared.raw.as_ptr(),
                &mut totals,
                delivered.as_mut_ptr(),
                dropped.as_mut_ptr(),
                queues,
            )
        };
        check("vnet_rss_engine_statistics", code, None)?;
        Ok(Statistics {
            frames_read: totals.frames_read,
            bytes_read: totals.bytes_read,
            frames_delivered: totals.frames_delivered,
            frames_dropped: totals.frames_dropped,
            frames_unclassified: totals.frames_unclassified,
            frames_redirected: totals.frames_redirected,
            delivered,
            dropped,
        })
    }

    /// Who steers the frames now and why (`vnet_rss_engine_steering`): [`Steerer::Userspace`],
    /// [`Steerer::Program`] or [`Steerer::Kernel`], with the library's reason. Any thread. What
    /// [`Steering::Automatic`] chose can change as configurations are applied.
    pub fn steering(&self) -> Result<ActiveSteering> {
        let mut capacity = 256;
        loop {
            let mut reason = vec![0u8; capacity];
            // SAFETY: a live engine ("any thread"); `reason` is valid for `capacity` bytes of
            // writes, and the library writes at most that many, NUL included.
            let code = unsafe {
                sys::vnet_rss_engine_steering(self.shared.raw.as_ptr(), reason.as_mut_ptr().cast(), reason.len())
            };
            let value = check("vnet_rss_engine_steering", code, None)?;
            let steerer = u32::try_from(value)
                .ok()
                .and_then(Steerer::from_raw)
                .ok_or(Error::Os { function: "vnet_rss_engine_steering", errno: EPROTO })?;
            let length = reason.iter().position(|&b| b == 0).unwrap_or(reason.len());
            // A reason that (nearly) fills the buffer may have been cut: the library stops at the
            // last whole UTF-8 character, up to 3 bytes short of the NUL. Ask again with more room.
            if length + 4 >= capacity && capacity < 1 << 20 {
                capacity *= 4;
                continue;
            }
            reason.truncate(length);
            return Ok(ActiveSteering { steerer, reason: String::from_utf8_lossy(&reason).into_owned() });
        }
    }

    /// The receive queues (`vnet_rss_engine_queue_count`).
    pub fn queue_count(&self) -> u16 {
        self.shared.queues
    }

    /// The tap fds, in queue order (still owned by the engine).
    pub fn taps(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.shared.taps.iter().map(AsFd::as_fd)
    }

    /// How many times the inline handler panicked (each such frame was lost).
    pub fn inline_handler_panics(&self) -> u64 {
        self.shared.inline.as_ref().map_or(0, |c| c.panics.load(Ordering::Relaxed))
    }

    /// The consumer of receive queue `queue`: one at a time per queue (the C ABI's "one
    /// consumer thread per receive queue"), [`Error::ReceiverTaken`] while another is alive,
    /// [`Error::QueueOutOfRange`] past the engine's queues. `Send`, to move to its thread.
    pub fn receiver(&self, queue: u16) -> Result<QueueReceiver> {
        let flag = self
            .shared
            .taken
            .get(usize::from(queue))
            .ok_or(Error::QueueOutOfRange { queue, queues: self.shared.queues })?;
        if flag.swap(true, Ordering::AcqRel) {
            return Err(Error::ReceiverTaken { queue });
        }
        Ok(QueueReceiver { shared: Arc::clone(&self.shared), queue, _not_sync: PhantomData })
    }

    /// A receiver for every queue, in queue order.
    pub fn receivers(&self) -> Result<Vec<QueueReceiver>> {
        (0..self.shared.queues).map(|queue| self.receiver(queue)).collect()
    }

    /// The C handle, valid while `self` lives (for vnet-rss-sys calls that keep the thread
    /// rules).
    pub fn as_ptr(&self) -> *mut sys::vnet_rss_engine {
        self.shared.raw.as_ptr()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        // SAFETY: the control thread's last call; the engine stays alive for the receivers.
        unsafe { sys::vnet_rss_engine_stop(self.shared.raw.as_ptr()) };
    }
}

/// The consumer of one receive queue, made by [`Engine::receiver`]: waits for frames and takes
/// them by closure or into caller buffers. `Send` but not `Sync`; its methods take `&mut self`.
pub struct QueueReceiver {
    shared: Arc<Shared>,
    queue: u16,
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for QueueReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueReceiver").field("queue", &self.queue).finish()
    }
}

struct ReceiveContext<'f, F> {
    handler: &'f mut F,
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn receive_trampoline<F: FnMut(&Frame<'_>)>(frame: *const sys::vnet_rss_frame, context: *mut c_void) {
    if frame.is_null() || context.is_null() {
        return;
    }
    // SAFETY: `context` is the ReceiveContext<F> that `receive` passed, alive and not otherwise
    // borrowed during vnet_rss_engine_receive, which calls this on the caller's thread.
    let context = unsafe { &mut *(context as *mut ReceiveContext<'_, F>) };
    if context.panic.is_some() {
        return;
    }
    // SAFETY: the library hands a valid frame for the duration of this call; Frame is a
    // transparent vnet_rss_frame, and the closure cannot keep the borrow.
    let frame = unsafe { &*(frame as *const Frame<'_>) };
    let handler = &mut *context.handler;
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| handler(frame))) {
        context.panic = Some(payload);
    }
}

impl QueueReceiver {
    /// The receive queue.
    pub fn queue(&self) -> u16 {
        self.queue
    }

    fn open(&self) -> Result<*mut sys::vnet_rss_engine> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(Error::EngineClosed);
        }
        Ok(self.shared.raw.as_ptr())
    }

    fn out_of_range(&self) -> Error {
        Error::QueueOutOfRange { queue: self.queue, queues: self.shared.queues }
    }

    /// Calls `handler` with up to `limit` waiting frames, oldest first per tap queue, and
    /// returns how many (`vnet_rss_engine_receive`). Each frame is valid during its call. A
    /// panic in `handler` is caught inside the C callback, the remaining frames of this call
    /// are dropped, and the panic resumes here once the library has returned.
    pub fn receive<F: FnMut(&Frame<'_>)>(&mut self, limit: usize, mut handler: F) -> Result<usize> {
        let engine = self.open()?;
        let mut context = ReceiveContext { handler: &mut handler, panic: None };
        // SAFETY: `&mut self` is the one consumer of this queue; the trampoline matches F and
        // `context` lives across the call, which keeps no pointer to it.
        let code = unsafe {
            sys::vnet_rss_engine_receive(
                engine,
                self.queue,
                limit,
                Some(receive_trampoline::<F>),
                (&mut context as *mut ReceiveContext<'_, F>).cast(),
            )
        };
        if let Some(payload) = context.panic.take() {
            panic::resume_unwind(payload);
        }
        if code == -ERANGE {
            return Err(self.out_of_range());
        }
        check("vnet_rss_engine_receive", code, None)
    }

    /// Copies up to `slots.len()` waiting frames into `buffers`, `buffer_size` bytes apart
    /// (at least the engine's buffer size, so no frame is cut), and returns them
    /// (`vnet_rss_engine_receive_into`). [`Error::BufferTooSmall`] when `buffer_size` is below
    /// the engine's.
    pub fn receive_into<'b>(
        &mut self,
        buffers: &'b mut [u8],
        buffer_size: usize,
        slots: &'b mut [FrameSlot],
    ) -> Result<&'b [Frame<'b>]> {
        let engine = self.open()?;
        if buffer_size < self.shared.buffer_size {
            return Err(Error::BufferTooSmall { needed: self.shared.buffer_size, capacity: buffer_size });
        }
        let count = slots.len().min(buffers.len() / buffer_size);
        // SAFETY: `buffers` holds `count` buffers of `buffer_size` bytes, and `slots` `count`
        // vnet_rss_frame-shaped entries (FrameSlot is transparent); `&mut self` is the one
        // consumer of this queue.
        let code = unsafe {
            sys::vnet_rss_engine_receive_into(
                engine,
                self.queue,
                buffers.as_mut_ptr(),
                buffer_size,
                count,
                slots.as_mut_ptr().cast(),
            )
        };
        if code == -ERANGE {
            return Err(self.out_of_range());
        }
        if code == -ENOSPC {
            return Err(Error::BufferTooSmall { needed: self.shared.buffer_size, capacity: buffer_size });
        }
        let received = check("vnet_rss_engine_receive_into", code, None)?.min(count);
        // Every frame must lie inside `buffers`, which the returned borrow keeps alive.
        let start = buffers.as_ptr() as usize;
        let end = start + buffers.len();
        for slot in &slots[..received] {
            let at = slot.0.packet as usize;
            if slot.0.length != 0 && (at < start || at + slot.0.length as usize > end) {
                return Err(Error::Os { function: "vnet_rss_engine_receive_into", errno: EPROTO });
            }
        }
        let slots: &'b [FrameSlot] = slots;
        // SAFETY: FrameSlot and Frame are both transparent vnet_rss_frame; each frame's packet
        // lies in `buffers`, borrowed for 'b (checked above).
        Ok(unsafe { slice::from_raw_parts(slots.as_ptr().cast::<Frame<'b>>(), received) })
    }

    /// Waits up to `timeout` for frames (`vnet_rss_engine_wait`): `true` when some may be
    /// waiting, `false` on timeout.
    pub fn wait(&mut self, timeout: Duration) -> Result<bool> {
        let engine = self.open()?;
        let milliseconds = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `&mut self` is the one consumer of this queue.
        let code = unsafe { sys::vnet_rss_engine_wait(engine, self.queue, milliseconds) };
        if code == -ERANGE {
            return Err(self.out_of_range());
        }
        Ok(check("vnet_rss_engine_wait", code, None)? > 0)
    }
}

impl Drop for QueueReceiver {
    fn drop(&mut self) {
        if let Some(flag) = self.shared.taken.get(usize::from(self.queue)) {
            flag.store(false, Ordering::Release);
        }
    }
}
