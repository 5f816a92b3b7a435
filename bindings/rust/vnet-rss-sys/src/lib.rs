//! Raw declarations of libvnetrss's C ABI, `include/vnet_rss.h` of vnet-rss: every constant,
//! structure and function, with the C names. The safe API is the `vnet-rss` crate.
//!
//! The library is found with `pkg-config` (module `vnetrss`; `vnetrss-static` with the
//! `static` feature), the .pc files `make install PREFIX=...` writes. The test
//! `tests/layout.rs` holds this file to the installed header: it compiles a C program with the
//! system C compiler against that header and compares every structure's size, alignment and
//! field offsets, sizes and types, every constant and every function's signature with what is
//! declared here, and the function list with the library's exports.
//!
//! Conventions of the C ABI (from the header): a function that can fail returns 0 (or a count)
//! on success and a negative errno on failure; handles are opaque and owned by the caller until
//! passed to their `_free`/`_destroy` function; each function's thread safety is documented on
//! it ("any thread": concurrent calls are safe, also on the same handle; "one thread at a time":
//! the caller serialises calls on that handle).
#![no_std]
#![allow(non_camel_case_types)]
#![warn(missing_docs)]

use core::ffi::{c_char, c_int, c_void};
use core::marker::{PhantomData, PhantomPinned};

/// `VNET_RSS_ABI_VERSION`: the ABI this crate declares; `vnet_rss_abi_version()` answers the
/// library's.
pub const VNET_RSS_ABI_VERSION: u32 = 1;

/// `VNET_RSS_FORMAT_TUN_VNET_HASH`: the TUNSETVNETHASH compound of the kernel series v5-v11.
pub const VNET_RSS_FORMAT_TUN_VNET_HASH: u32 = 0;
/// `VNET_RSS_FORMAT_TUN_VNET_RSS`: the v12 split layout (TUNSETVNETRSS).
pub const VNET_RSS_FORMAT_TUN_VNET_RSS: u32 = 1;
/// `VNET_RSS_FORMAT_VIRTIO_RSS`: struct virtio_net_rss_config (VIRTIO_NET_CTRL_MQ_RSS_CONFIG).
pub const VNET_RSS_FORMAT_VIRTIO_RSS: u32 = 2;
/// `VNET_RSS_FORMAT_VIRTIO_HASH`: struct virtio_net_hash_config (VIRTIO_NET_CTRL_MQ_HASH_CONFIG).
pub const VNET_RSS_FORMAT_VIRTIO_HASH: u32 = 3;

/// `VNET_RSS_POLICY_KERNEL`: the kernel series' leniency.
pub const VNET_RSS_POLICY_KERNEL: u32 = 0;
/// `VNET_RSS_POLICY_VIRTIO`: the device rules for an untrusted guest, with `vnet_rss_device_limits`.
pub const VNET_RSS_POLICY_VIRTIO: u32 = 1;

/// `VNET_RSS_FEATURE_HASH_REPORT` (struct tun_vnet_hash.flags).
pub const VNET_RSS_FEATURE_HASH_REPORT: u32 = 0x1;
/// `VNET_RSS_FEATURE_RSS` (struct tun_vnet_hash.flags).
pub const VNET_RSS_FEATURE_RSS: u32 = 0x2;

/// `VNET_RSS_HASH_TYPES_ALL`: every VIRTIO_NET_RSS_HASH_TYPE_* bit.
pub const VNET_RSS_HASH_TYPES_ALL: u32 = 0x1FF;

/// `VNET_RSS_EX_RULE_SPEC`: the _EX hash types apply only to IPv6 packets with extension
/// headers (the virtio spec).
pub const VNET_RSS_EX_RULE_SPEC: u32 = 0;
/// `VNET_RSS_EX_RULE_QEMU`: QEMU's order, each transport's _EX type first.
pub const VNET_RSS_EX_RULE_QEMU: u32 = 1;

/// `VNET_RSS_READER_READ`: epoll and non-blocking read().
pub const VNET_RSS_READER_READ: u32 = 0;
/// `VNET_RSS_READER_URING`: io_uring multishot read (Linux 6.7+), else single-shot.
pub const VNET_RSS_READER_URING: u32 = 1;
/// `VNET_RSS_READER_URING_SINGLE`: io_uring single-shot reads.
pub const VNET_RSS_READER_URING_SINGLE: u32 = 2;

/// `VNET_RSS_STEERING_AUTOMATIC`: the kernel series' RSS, else the steering program, else
/// userspace (what `vnet_rss_engine_create` asks for).
pub const VNET_RSS_STEERING_AUTOMATIC: u32 = 0;
/// `VNET_RSS_STEERING_USERSPACE`: readers hand frames to their receive queue's consumer.
pub const VNET_RSS_STEERING_USERSPACE: u32 = 1;
/// `VNET_RSS_STEERING_PROGRAM`: the steering eBPF program (TUNSETSTEERINGEBPF) queues each
/// frame on its receive queue's tap queue; that queue's reader reports.
pub const VNET_RSS_STEERING_PROGRAM: u32 = 2;
/// `VNET_RSS_STEERING_KERNEL`: the kernel series' TUNSETVNETHASH.
pub const VNET_RSS_STEERING_KERNEL: u32 = 3;
/// `VNET_RSS_STEERING_PROGRAM_FDS`: a steering program's descriptors, in this order: the
/// program, the switch, slot 0, slot 1.
pub const VNET_RSS_STEERING_PROGRAM_FDS: u32 = 4;

/// `VNET_RSS_RULE_NONE`: no rule broken.
pub const VNET_RSS_RULE_NONE: u32 = 0;
/// `VNET_RSS_RULE_TRUNCATED`: value is the blob's length, limit the length needed.
pub const VNET_RSS_RULE_TRUNCATED: u32 = 1;
/// `VNET_RSS_RULE_TRAILING_BYTES`: value is the blob's length, limit the exact length.
pub const VNET_RSS_RULE_TRAILING_BYTES: u32 = 2;
/// `VNET_RSS_RULE_RESERVED_NOT_ZERO`: limit is 0.
pub const VNET_RSS_RULE_RESERVED_NOT_ZERO: u32 = 3;
/// `VNET_RSS_RULE_NOT_POWER_OF_TWO`: value is indirection_table_mask + 1.
pub const VNET_RSS_RULE_NOT_POWER_OF_TWO: u32 = 4;
/// `VNET_RSS_RULE_ABOVE_MAXIMUM`: limit is the largest value allowed.
pub const VNET_RSS_RULE_ABOVE_MAXIMUM: u32 = 5;
/// `VNET_RSS_RULE_BELOW_MINIMUM`: limit is the smallest value allowed.
pub const VNET_RSS_RULE_BELOW_MINIMUM: u32 = 6;
/// `VNET_RSS_RULE_UNSUPPORTED_BITS`: limit is the supported mask.
pub const VNET_RSS_RULE_UNSUPPORTED_BITS: u32 = 7;

/// `VNET_RSS_TYPE_ERROR`: `vnet_rss_sizeof` selector for [`vnet_rss_error`].
pub const VNET_RSS_TYPE_ERROR: u32 = 0;
/// `VNET_RSS_TYPE_DEVICE_LIMITS`: `vnet_rss_sizeof` selector for [`vnet_rss_device_limits`].
pub const VNET_RSS_TYPE_DEVICE_LIMITS: u32 = 1;
/// `VNET_RSS_TYPE_FIELDS`: `vnet_rss_sizeof` selector for [`vnet_rss_fields`].
pub const VNET_RSS_TYPE_FIELDS: u32 = 2;
/// `VNET_RSS_TYPE_DECISION`: `vnet_rss_sizeof` selector for [`vnet_rss_decision`].
pub const VNET_RSS_TYPE_DECISION: u32 = 3;
/// `VNET_RSS_TYPE_PACKET`: `vnet_rss_sizeof` selector for [`vnet_rss_packet`].
pub const VNET_RSS_TYPE_PACKET: u32 = 4;
/// `VNET_RSS_TYPE_FRAME`: `vnet_rss_sizeof` selector for [`vnet_rss_frame`].
pub const VNET_RSS_TYPE_FRAME: u32 = 5;
/// `VNET_RSS_TYPE_ENGINE_OPTIONS`: `vnet_rss_sizeof` selector for [`vnet_rss_engine_options`].
pub const VNET_RSS_TYPE_ENGINE_OPTIONS: u32 = 6;
/// `VNET_RSS_TYPE_STATISTICS`: `vnet_rss_sizeof` selector for [`vnet_rss_statistics`].
pub const VNET_RSS_TYPE_STATISTICS: u32 = 7;
/// `VNET_RSS_TYPE_CAPABILITY`: `vnet_rss_sizeof` selector for [`vnet_rss_capability`].
pub const VNET_RSS_TYPE_CAPABILITY: u32 = 8;
/// `VNET_RSS_TYPE_GUEST_DECISION`: `vnet_rss_sizeof` selector for [`vnet_rss_guest_decision`].
pub const VNET_RSS_TYPE_GUEST_DECISION: u32 = 9;
/// `VNET_RSS_TYPE_GUEST_FRAME`: `vnet_rss_sizeof` selector for [`vnet_rss_guest_frame`].
pub const VNET_RSS_TYPE_GUEST_FRAME: u32 = 10;
/// `VNET_RSS_TYPE_STEERING_COUNTERS`: `vnet_rss_sizeof` selector for
/// [`vnet_rss_steering_counters`].
pub const VNET_RSS_TYPE_STEERING_COUNTERS: u32 = 11;

/// `VNET_RSS_HASH_FIELDS_OFFSET`: where the hash fields of a virtio_net_hdr_v1_hash lie (from
/// the header's first byte; `vnet_rss_guest_decision.fields_offset`).
pub const VNET_RSS_HASH_FIELDS_OFFSET: u32 = 12;
/// `VNET_RSS_HASH_FIELDS_SIZE`: how many bytes they are (`vnet_rss_guest_decision.fields`):
/// hash_value (le32), hash_report (le16), padding.
pub const VNET_RSS_HASH_FIELDS_SIZE: u32 = 8;

macro_rules! opaque_handle {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Opaque: only ever behind a pointer the library returned (the C type's single member
        /// is not part of the ABI). Neither `Send`, `Sync` nor `Unpin`.
        #[repr(C)]
        pub struct $name {
            _opaque: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    };
}

opaque_handle!(
    /// `vnet_rss_config`: an immutable configuration.
    vnet_rss_config
);
opaque_handle!(
    /// `vnet_rss_classifier`: a configuration prepared for the datapath.
    vnet_rss_classifier
);
opaque_handle!(
    /// `vnet_rss_batch`: a batch workspace, one per thread.
    vnet_rss_batch
);
opaque_handle!(
    /// `vnet_rss_engine`: readers over a multi-queue tap.
    vnet_rss_engine
);
opaque_handle!(
    /// `vnet_rss_steering`: kernel steering over a VMM's own tap fds.
    vnet_rss_steering
);

/// `struct iovec` of `<sys/uio.h>`, which vnet_rss.h includes: one element of the array a VMM
/// gives `readv(2)`. The same layout as `libc::iovec`, and as `std::io::IoSliceMut` and
/// `std::io::IoSlice`, which std guarantees to be ABI compatible with `iovec` on Unix (the
/// layout test checks this type against the C compiler's).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct iovec {
    /// `iov_base`: the element's first byte.
    pub iov_base: *mut c_void,
    /// `iov_len`: its length in bytes.
    pub iov_len: usize,
}

/// `vnet_rss_error`: why a configuration was refused.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vnet_rss_error {
    /// `rule`: `VNET_RSS_RULE_*`.
    pub rule: u32,
    /// `virtio_ack`: what the control queue answers, VIRTIO_NET_ERR (1).
    pub virtio_ack: u32,
    /// `kernel_errno`: what TUNSETVNETHASH would give, EFAULT (truncated) or EINVAL.
    pub kernel_errno: i32,
    /// `reserved`.
    pub reserved: u32,
    /// `value`: the field's value.
    pub value: u64,
    /// `limit`: the limit it broke (see the rule).
    pub limit: u64,
    /// `field`: the field in C spelling, `"indirection_table[3]"` (NUL-terminated).
    pub field: [c_char; 40],
    /// `message`: the whole sentence (NUL-terminated, cut to fit).
    pub message: [c_char; 200],
}

impl Default for vnet_rss_error {
    fn default() -> Self {
        vnet_rss_error {
            rule: 0,
            virtio_ack: 0,
            kernel_errno: 0,
            reserved: 0,
            value: 0,
            limit: 0,
            field: [0; 40],
            message: [0; 200],
        }
    }
}

/// `vnet_rss_device_limits`: what a virtio-net device advertises (struct virtio_net_config's
/// RSS fields), for the virtio policy.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_device_limits {
    /// `queue_pairs`: table entries and queues must lie below it.
    pub queue_pairs: u16,
    /// `reserved`.
    pub reserved: u16,
    /// `max_indirection_table_length`: rss_max_indirection_table_length (QEMU: 128).
    pub max_indirection_table_length: u32,
    /// `max_key_size`: rss_max_key_size (QEMU: 40).
    pub max_key_size: u32,
    /// `supported_hash_types`.
    pub supported_hash_types: u32,
}

/// `vnet_rss_fields`: a configuration's scalar fields; its table and key travel beside it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_fields {
    /// `features`: `VNET_RSS_FEATURE_*`.
    pub features: u32,
    /// `hash_types`: VIRTIO_NET_RSS_HASH_TYPE_* bits.
    pub hash_types: u32,
    /// `unclassified_queue`.
    pub unclassified_queue: u16,
    /// `max_tx_vq`.
    pub max_tx_vq: u16,
    /// `indirection_table_length`: entries (indirection_table_mask + 1), up to 65,536.
    pub indirection_table_length: u32,
    /// `key_length`: bytes.
    pub key_length: u32,
    /// `reserved`.
    pub reserved: u32,
}

/// `vnet_rss_decision`: the decision for one frame.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_decision {
    /// `hash`: hash_value; 0 when unclassified.
    pub hash: u32,
    /// `report`: hash_report (VIRTIO_NET_HASH_REPORT_*); 0 when unclassified.
    pub report: u16,
    /// `queue`: the receive queue.
    pub queue: u16,
}

/// `vnet_rss_packet`: one packet of a batch, the tap's vnet header and then the frame.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vnet_rss_packet {
    /// `data`.
    pub data: *mut u8,
    /// `length`.
    pub length: usize,
    /// `arrival_queue`: the queue it arrived on (kept when RSS is off).
    pub arrival_queue: u16,
    /// `reserved`.
    pub reserved: [u16; 3],
}

/// `vnet_rss_frame`: a frame an engine hands over, its header (num_buffers and the hash fields
/// written) and the frame. `packet` is valid during the handler call that receives it, or, from
/// `vnet_rss_engine_receive_into()`, points into the caller's buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vnet_rss_frame {
    /// `packet`.
    pub packet: *const u8,
    /// `length`: header and frame.
    pub length: u32,
    /// `header_size`: the vnet header in front of the frame.
    pub header_size: u32,
    /// `hash`.
    pub hash: u32,
    /// `report`.
    pub report: u16,
    /// `tap_queue`: the tap queue it was read on.
    pub tap_queue: u16,
    /// `queue`: the receive queue it was steered to.
    pub queue: u16,
    /// `reserved`.
    pub reserved: [u16; 3],
}

impl Default for vnet_rss_frame {
    fn default() -> Self {
        vnet_rss_frame {
            packet: core::ptr::null(),
            length: 0,
            header_size: 0,
            hash: 0,
            report: 0,
            tap_queue: 0,
            queue: 0,
            reserved: [0; 3],
        }
    }
}

/// `vnet_rss_frame_handler`: called with each frame; must not call back into the engine that
/// calls it.
pub type vnet_rss_frame_handler = Option<unsafe extern "C" fn(frame: *const vnet_rss_frame, context: *mut c_void)>;

/// `vnet_rss_engine_options`: how an engine runs; zero fields take the defaults.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vnet_rss_engine_options {
    /// `reader`: `VNET_RSS_READER_*` (READ).
    pub reader: u32,
    /// `receive_queues`: receive queues steered to (as many as tap fds), at most 64.
    pub receive_queues: u32,
    /// `buffers_per_queue`: receive buffers per tap queue (512).
    pub buffers_per_queue: u32,
    /// `buffer_size`: bytes per buffer, header included (2,048).
    pub buffer_size: u32,
    /// `ring_capacity`: slots per reader-to-queue ring (256).
    pub ring_capacity: u32,
    /// `extension_header_rule`: `VNET_RSS_EX_RULE_*` (SPEC).
    pub extension_header_rule: u32,
    /// `inline_handler`: when set, reader threads call it with every frame as soon as its batch
    /// is decided (concurrently from several readers; it must be thread-safe), and the receive
    /// functions hand nothing. NULL: frames wait in rings for the receive functions.
    pub inline_handler: vnet_rss_frame_handler,
    /// `inline_context`.
    pub inline_context: *mut c_void,
}

impl Default for vnet_rss_engine_options {
    fn default() -> Self {
        vnet_rss_engine_options {
            reader: 0,
            receive_queues: 0,
            buffers_per_queue: 0,
            buffer_size: 0,
            ring_capacity: 0,
            extension_header_rule: 0,
            inline_handler: None,
            inline_context: core::ptr::null_mut(),
        }
    }
}

/// `vnet_rss_statistics`: an engine's counters. Frames read = frames delivered + frames dropped.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_statistics {
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
}

/// `vnet_rss_capability`: what a kernel with the series offers (TUNGETVNETHASHCAP).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_capability {
    /// `features`: `VNET_RSS_FEATURE_*`.
    pub features: u32,
    /// `hash_types`: VIRTIO_NET_RSS_HASH_TYPE_* bits.
    pub hash_types: u32,
}

/// `vnet_rss_guest_frame`: a frame a VMM's readv() put in guest memory, the iovec array it gave
/// readv and the byte count readv returned (the vnet header, then the frame; split anywhere).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vnet_rss_guest_frame {
    /// `iov`.
    pub iov: *const iovec,
    /// `iovcnt`: at most IOV_MAX (1,024).
    pub iovcnt: u32,
    /// `reserved`: 0.
    pub reserved: u32,
    /// `length`: what readv returned.
    pub length: usize,
}

/// `vnet_rss_guest_decision`: the decision for a frame in guest memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_guest_decision {
    /// `hash`: hash_value; 0 when unclassified.
    pub hash: u32,
    /// `report`: hash_report (VIRTIO_NET_HASH_REPORT_*).
    pub report: u16,
    /// `queue`: the receive queue the configuration names.
    pub queue: u16,
    /// `stray`: 1 when RSS names another queue than the arrival queue (deliver it where it
    /// arrived: it cannot move without a copy; counted).
    pub stray: u8,
    /// `fields_valid`: 1 when the header has hash fields (20 bytes) and the frame holds it whole.
    pub fields_valid: u8,
    /// `fields_offset`: `VNET_RSS_HASH_FIELDS_OFFSET`, where `fields` go, from the chain's
    /// first byte.
    pub fields_offset: u16,
    /// `fields`: hash_value (le32), hash_report (le16), padding (0): written in place by the
    /// classify functions, left to the caller by `vnet_rss_steering_decide_iov`.
    pub fields: [u8; 8],
}

/// `vnet_rss_steering_counters`: a steering object's counters for one tap queue.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vnet_rss_steering_counters {
    /// `frames`: classified or decided on this arrival queue.
    pub frames: u64,
    /// `strays`: of them, frames RSS names another queue for.
    pub strays: u64,
    /// `unclassified`: of them, hash report NONE.
    pub unclassified: u64,
}

/// One function of this crate's `extern "C"` block, as declared (for the layout test, which
/// compares each signature with the C header's through the C compiler).
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Function {
    /// The C name.
    pub name: &'static str,
    /// Each parameter's Rust type, spelled as declared.
    pub parameters: &'static [&'static str],
    /// The Rust return type, `()` for none.
    pub result: &'static str,
}

macro_rules! functions {
    ($( $(#[$meta:meta])* pub fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ; )*) => {
        extern "C" {
            $( $(#[$meta])* pub fn $name($($arg: $ty),*) $(-> $ret)?; )*
        }
        /// Every function declared by this crate with its Rust signature, generated from the
        /// same tokens as the declarations.
        #[doc(hidden)]
        pub const FUNCTIONS: &[Function] = &[
            $( Function {
                name: stringify!($name),
                parameters: &[$(stringify!($ty)),*],
                result: functions!(@result $($ret)?),
            }, )*
        ];
    };
    (@result) => { "()" };
    (@result $ret:ty) => { stringify!($ret) };
}

functions! {
    /// `vnet_rss_abi_version`: the library's ABI version. Any thread.
    pub fn vnet_rss_abi_version() -> u32;

    /// `vnet_rss_sizeof`: the size the library has for structure `type_` (`VNET_RSS_TYPE_*`), 0
    /// for an unknown type. Any thread.
    pub fn vnet_rss_sizeof(type_: u32) -> usize;

    /// `vnet_rss_config_decode`: decodes `length` bytes in `format` (`VNET_RSS_FORMAT_*`). Under
    /// `VNET_RSS_POLICY_VIRTIO` reserved fields must be zero and the blob must end with its last
    /// field; the kernel policy ignores both. Does not validate. -EINVAL (error filled) for a
    /// blob that does not decode. Any thread.
    pub fn vnet_rss_config_decode(format: u32, policy: u32, bytes: *const u8, length: usize,
        out: *mut *mut vnet_rss_config, error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_config_create`: a configuration from fields,
    /// `fields->indirection_table_length` entries at `table` and `fields->key_length` bytes at
    /// `key` (either may be NULL when its length is 0). Any thread.
    pub fn vnet_rss_config_create(fields: *const vnet_rss_fields, table: *const u16, key: *const u8,
        out: *mut *mut vnet_rss_config, error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_config_validate`: holds `config` to `policy`; `limits` is required for
    /// `VNET_RSS_POLICY_VIRTIO`. 0 when valid, -EINVAL with `error` filled when not. Any thread.
    pub fn vnet_rss_config_validate(config: *const vnet_rss_config, policy: u32,
        limits: *const vnet_rss_device_limits, error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_config_encode`: encodes `config` in `format` into `buffer`; `*length` receives
    /// the size needed, also when `capacity` is too small (-ENOSPC, nothing written). Any thread.
    pub fn vnet_rss_config_encode(config: *const vnet_rss_config, format: u32, buffer: *mut u8,
        capacity: usize, length: *mut usize, error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_config_fields`: reads `config` back, the fields, and the table and key into
    /// `table` (`table_capacity` entries) and `key` (`key_capacity` bytes) where given. -ENOSPC
    /// when either is too small (the fields are filled anyway). Any thread.
    pub fn vnet_rss_config_fields(config: *const vnet_rss_config, fields: *mut vnet_rss_fields,
        table: *mut u16, table_capacity: usize, key: *mut u8, key_capacity: usize) -> c_int;

    /// `vnet_rss_config_with_features`: a copy of `config` with `features` instead of its own.
    /// Any thread.
    pub fn vnet_rss_config_with_features(config: *const vnet_rss_config, features: u32,
        out: *mut *mut vnet_rss_config) -> c_int;

    /// `vnet_rss_config_free`: frees a configuration (NULL is ignored). One thread, once.
    pub fn vnet_rss_config_free(config: *mut vnet_rss_config);

    /// `vnet_rss_kernel_capability`: asks the tap behind `tap_fd` what RSS it does itself
    /// (TUNGETVNETHASHCAP). 0 and `capability` filled where the kernel has the series; the
    /// ioctl's -errno (EINVAL or ENOTTY without it), or -EPROTO. Any thread.
    pub fn vnet_rss_kernel_capability(tap_fd: i32, capability: *mut vnet_rss_capability) -> c_int;

    /// `vnet_rss_toeplitz`: the Toeplitz hash of `input_length` bytes (at most 36, and at most
    /// key_length - 4) under `key`. Any thread.
    pub fn vnet_rss_toeplitz(key: *const u8, key_length: usize, input: *const u8, input_length: usize,
        hash: *mut u32) -> c_int;

    /// `vnet_rss_classifier_create`: prepares `config` for `queue_count` receive queues. -EINVAL
    /// (error filled) for a configuration every policy refuses. Any thread.
    pub fn vnet_rss_classifier_create(config: *const vnet_rss_config, queue_count: u16,
        extension_header_rule: u32, out: *mut *mut vnet_rss_classifier, error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_classifier_free`: frees a classifier (NULL is ignored). One thread, once, after
    /// every use ended.
    pub fn vnet_rss_classifier_free(classifier: *mut vnet_rss_classifier);

    /// `vnet_rss_classify`: decides the frame after the `header_size`-byte vnet header in
    /// `packet` (`length` bytes in all) and writes num_buffers, hash_value and hash_report into
    /// that header. Any thread (the classifier is immutable).
    pub fn vnet_rss_classify(classifier: *const vnet_rss_classifier, packet: *mut u8, length: usize,
        header_size: usize, arrival_queue: u16, decision: *mut vnet_rss_decision) -> c_int;

    /// `vnet_rss_batch_create`: a batch workspace for up to `capacity` packets per pass. One per
    /// thread.
    pub fn vnet_rss_batch_create(capacity: usize, out: *mut *mut vnet_rss_batch) -> c_int;

    /// `vnet_rss_batch_free`: frees a batch workspace (NULL is ignored).
    pub fn vnet_rss_batch_free(batch: *mut vnet_rss_batch);

    /// `vnet_rss_classify_batch`: decides `count` packets as `vnet_rss_classify` would. One
    /// thread at a time per batch; any thread per classifier.
    pub fn vnet_rss_classify_batch(classifier: *const vnet_rss_classifier, batch: *mut vnet_rss_batch,
        packets: *const vnet_rss_packet, count: usize, header_size: usize,
        decisions: *mut vnet_rss_decision) -> c_int;

    /// `vnet_rss_engine_create`: an engine over the tap queues behind `tap_fds` (one per queue,
    /// in queue order). `options` may be NULL. One thread at a time (the control thread).
    pub fn vnet_rss_engine_create(tap_fds: *const i32, fd_count: usize, config: *const vnet_rss_config,
        options: *const vnet_rss_engine_options, out: *mut *mut vnet_rss_engine,
        error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_engine_create_steered`: `vnet_rss_engine_create` (which steers as
    /// `VNET_RSS_STEERING_AUTOMATIC`) with the steering asked for, `VNET_RSS_STEERING_*`.
    /// `program_fds`, when not NULL, holds the `VNET_RSS_STEERING_PROGRAM_FDS` descriptors of a
    /// steering program another process loaded; the engine keeps duplicates. Fails with the
    /// errno of the refusal when the mode cannot be had (-EPERM, -EOPNOTSUPP); AUTOMATIC falls
    /// back instead. One thread at a time (the control thread).
    pub fn vnet_rss_engine_create_steered(tap_fds: *const i32, fd_count: usize, config: *const vnet_rss_config,
        options: *const vnet_rss_engine_options, steering: u32, program_fds: *const i32,
        out: *mut *mut vnet_rss_engine, error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_engine_steering`: who steers now (`VNET_RSS_STEERING_USERSPACE`, `_PROGRAM` or
    /// `_KERNEL`), or -EINVAL for NULL; when `reason` is given, why, NUL-terminated and cut to
    /// `reason_capacity` bytes. Any thread.
    pub fn vnet_rss_engine_steering(engine: *const vnet_rss_engine, reason: *mut c_char,
        reason_capacity: usize) -> c_int;

    /// `vnet_rss_steering_program_load`: loads the steering program (CAP_SYS_ADMIN, or CAP_BPF
    /// with CAP_PERFMON) and writes its
    /// `VNET_RSS_STEERING_PROGRAM_FDS` descriptors to `fds` (close-on-exec, the caller's to
    /// close). -EPERM without the privilege. Any thread.
    pub fn vnet_rss_steering_program_load(fds: *mut i32) -> c_int;

    /// `vnet_rss_engine_start`: starts one reader thread per tap queue. Control thread.
    pub fn vnet_rss_engine_start(engine: *mut vnet_rss_engine) -> c_int;

    /// `vnet_rss_engine_stop`: stops and joins the readers; frames already handed over stay
    /// receivable. Control thread.
    pub fn vnet_rss_engine_stop(engine: *mut vnet_rss_engine) -> c_int;

    /// `vnet_rss_engine_destroy`: stops the readers and frees the engine (NULL is ignored). The
    /// tap fds stay open. Control thread.
    pub fn vnet_rss_engine_destroy(engine: *mut vnet_rss_engine);

    /// `vnet_rss_engine_receive`: calls `handler` with up to `limit` frames waiting for receive
    /// queue `queue`; returns how many, or -ERANGE for a queue past the engine's. One consumer
    /// thread per receive queue.
    pub fn vnet_rss_engine_receive(engine: *mut vnet_rss_engine, queue: u16, limit: usize,
        handler: vnet_rss_frame_handler, context: *mut c_void) -> c_int;

    /// `vnet_rss_engine_receive_into`: copies up to `count` frames waiting for `queue` into the
    /// caller's buffers, `buffer_size` bytes apart, and describes each in `frames[i]`; returns
    /// how many. One consumer thread per receive queue.
    pub fn vnet_rss_engine_receive_into(engine: *mut vnet_rss_engine, queue: u16, buffers: *mut u8,
        buffer_size: usize, count: usize, frames: *mut vnet_rss_frame) -> c_int;

    /// `vnet_rss_engine_wait`: waits up to `timeout_ms` for frames on `queue`: 1 when some may
    /// be waiting, 0 on timeout. One consumer thread per receive queue.
    pub fn vnet_rss_engine_wait(engine: *mut vnet_rss_engine, queue: u16, timeout_ms: i32) -> c_int;

    /// `vnet_rss_engine_apply`: publishes a new configuration with one atomic swap. -EINVAL
    /// (error filled), and the old one kept, when it cannot be prepared. Control thread.
    pub fn vnet_rss_engine_apply(engine: *mut vnet_rss_engine, config: *const vnet_rss_config,
        error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_engine_set_tap_queue`: attaches (1) or detaches (0) tap queue `tap_queue`
    /// (TUNSETQUEUE); -ERANGE past the tap's. Control thread.
    pub fn vnet_rss_engine_set_tap_queue(engine: *mut vnet_rss_engine, tap_queue: u16, attached: i32) -> c_int;

    /// `vnet_rss_engine_statistics`: the counters, totals and per receive queue in `delivered`
    /// and `dropped` when given (`queue_capacity` entries each; -ENOSPC when fewer than the
    /// engine's receive queues, the totals filled anyway). Any thread.
    pub fn vnet_rss_engine_statistics(engine: *const vnet_rss_engine, totals: *mut vnet_rss_statistics,
        delivered: *mut u64, dropped: *mut u64, queue_capacity: usize) -> c_int;

    /// `vnet_rss_engine_queue_count`: the engine's receive queues, or -EINVAL for NULL. Any thread.
    pub fn vnet_rss_engine_queue_count(engine: *const vnet_rss_engine) -> c_int;

    /// `vnet_rss_steering_create`: kernel steering for a VMM that reads its tap queues itself.
    /// `tap_fds`: the VMM's multi-queue tap fds, one per queue pair in queue order, all
    /// attached; borrowed (the caller's to close after `vnet_rss_steering_destroy`; their
    /// blocking mode, vnet header size and offloads are left alone). `queue_count`: receive
    /// queues (0: one per fd). `program_fds`: the `VNET_RSS_STEERING_PROGRAM_FDS` descriptors a
    /// privileged manager loaded, duplicated; NULL loads the program here (BPF privilege). The
    /// configuration is published to the program's maps; nothing is attached yet. Control
    /// thread. System calls: ioctl(TUNGETIFF) per fd, bpf(2) (the load, or for `program_fds`
    /// BPF_OBJ_GET_INFO_BY_FD and BPF_MAP_LOOKUP_ELEM, with fcntl(F_DUPFD_CLOEXEC)), then a
    /// publication (two bpf(BPF_MAP_UPDATE_ELEM), the second waiting for an RCU grace period).
    pub fn vnet_rss_steering_create(tap_fds: *const i32, fd_count: usize, config: *const vnet_rss_config,
        queue_count: u16, extension_header_rule: u32, program_fds: *const i32, out: *mut *mut vnet_rss_steering,
        error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_steering_destroy`: detaches the program and frees the object (NULL is ignored;
    /// closes the duplicated program fds). The tap fds stay open. Control thread.
    pub fn vnet_rss_steering_destroy(steering: *mut vnet_rss_steering);

    /// `vnet_rss_steering_attach`: attaches the program (TUNSETSTEERINGEBPF): now where the
    /// configuration has RSS, else as soon as one with RSS is applied. Control thread.
    pub fn vnet_rss_steering_attach(steering: *mut vnet_rss_steering) -> c_int;

    /// `vnet_rss_steering_detach`: detaches it (TUNSETSTEERINGEBPF); the tap spreads frames by its
    /// own flow hash again. Control thread.
    pub fn vnet_rss_steering_detach(steering: *mut vnet_rss_steering) -> c_int;

    /// `vnet_rss_steering_apply`: publishes `config` to the program's maps (never torn), then to
    /// the queue threads; a frame the program steered by the new configuration and a thread
    /// decided by the old is a stray. -EINVAL (error filled), the old one kept, when it cannot be
    /// prepared. Control thread.
    pub fn vnet_rss_steering_apply(steering: *mut vnet_rss_steering, config: *const vnet_rss_config,
        error: *mut vnet_rss_error) -> c_int;

    /// `vnet_rss_steering_set_queue_pairs`: a guest's VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: attaches
    /// tap queues 0..pairs-1 and detaches the others (TUNSETQUEUE), and steers to `pairs` receive
    /// queues. -ERANGE for 0 or more pairs than fds. Control thread.
    pub fn vnet_rss_steering_set_queue_pairs(steering: *mut vnet_rss_steering, pairs: u16) -> c_int;

    /// `vnet_rss_steering_classify_iov`: decides the frame readv() put in `iovcnt` elements at
    /// `iov` (`length`: what readv returned) from tap queue `arrival_queue`, and writes bytes
    /// 12-19 of its header (hash_value, hash_report, padding) wherever they fall; never
    /// num_buffers, nor any other byte. `header_size`: 20 or 12 (nothing written); any other is
    /// -EINVAL. -EINVAL for more than IOV_MAX elements or a NULL element holding bytes of the
    /// frame, -ERANGE for a length past the elements or an arrival queue past the fds. No
    /// allocation, lock or system call. Each queue's thread: concurrently for different arrival
    /// queues, one thread at a time per arrival queue.
    pub fn vnet_rss_steering_classify_iov(steering: *mut vnet_rss_steering, arrival_queue: u16, iov: *const iovec,
        iovcnt: c_int, length: usize, header_size: usize, decision: *mut vnet_rss_guest_decision) -> c_int;

    /// `vnet_rss_steering_decide_iov`: `vnet_rss_steering_classify_iov` without writing guest
    /// memory: `decision->fields` holds the 8 bytes to write at `decision->fields_offset` (when
    /// `fields_valid`). Threads as for classify.
    pub fn vnet_rss_steering_decide_iov(steering: *mut vnet_rss_steering, arrival_queue: u16, iov: *const iovec,
        iovcnt: c_int, length: usize, header_size: usize, decision: *mut vnet_rss_guest_decision) -> c_int;

    /// `vnet_rss_steering_classify_iov_batch`: `vnet_rss_steering_classify_iov` for `count` frames
    /// of one arrival queue, in order, into `decisions[i]`. 0 when all were decided; at the first
    /// refused frame, its -errno, with `*decided` (when given) the number decided before it.
    /// Threads as for classify.
    pub fn vnet_rss_steering_classify_iov_batch(steering: *mut vnet_rss_steering, arrival_queue: u16,
        frames: *const vnet_rss_guest_frame, count: usize, header_size: usize,
        decisions: *mut vnet_rss_guest_decision, decided: *mut usize) -> c_int;

    /// `vnet_rss_steering_statistics`: the counters of each tap queue into `counters`
    /// (`capacity` entries); returns the number of tap queues (-ENOSPC when `capacity` is
    /// smaller, nothing written). Any thread.
    pub fn vnet_rss_steering_statistics(steering: *const vnet_rss_steering,
        counters: *mut vnet_rss_steering_counters, capacity: usize) -> c_int;

    /// `vnet_rss_steering_state`: who steers now, `VNET_RSS_STEERING_PROGRAM` while the program
    /// is attached, else `VNET_RSS_STEERING_USERSPACE` (the tap's own spreading; classify still
    /// reports). Control thread.
    pub fn vnet_rss_steering_state(steering: *const vnet_rss_steering) -> c_int;
}

/// The structure sizes `VNET_RSS_ABI_CHECK()` compares with the library's `vnet_rss_sizeof`, as
/// (`VNET_RSS_TYPE_*` selector, Rust size) pairs in the header macro's order (the layout test
/// holds this list to the macro's).
#[doc(hidden)]
pub const ABI_CHECK_SIZES: &[(u32, usize)] = {
    use core::mem::size_of;
    &[
        (VNET_RSS_TYPE_ERROR, size_of::<vnet_rss_error>()),
        (VNET_RSS_TYPE_DEVICE_LIMITS, size_of::<vnet_rss_device_limits>()),
        (VNET_RSS_TYPE_FIELDS, size_of::<vnet_rss_fields>()),
        (VNET_RSS_TYPE_DECISION, size_of::<vnet_rss_decision>()),
        (VNET_RSS_TYPE_PACKET, size_of::<vnet_rss_packet>()),
        (VNET_RSS_TYPE_FRAME, size_of::<vnet_rss_frame>()),
        (VNET_RSS_TYPE_ENGINE_OPTIONS, size_of::<vnet_rss_engine_options>()),
        (VNET_RSS_TYPE_STATISTICS, size_of::<vnet_rss_statistics>()),
        (VNET_RSS_TYPE_CAPABILITY, size_of::<vnet_rss_capability>()),
        (VNET_RSS_TYPE_GUEST_DECISION, size_of::<vnet_rss_guest_decision>()),
        (VNET_RSS_TYPE_GUEST_FRAME, size_of::<vnet_rss_guest_frame>()),
        (VNET_RSS_TYPE_STEERING_COUNTERS, size_of::<vnet_rss_steering_counters>()),
    ]
};

/// `VNET_RSS_ABI_CHECK()`: 0 when the library matches these declarations (version and every
/// structure size), else -EPROTO (-71).
///
/// # Safety
///
/// Calls into the library, which must be the one this crate was linked against; the calls take
/// no pointers.
#[allow(non_snake_case)]
pub unsafe fn VNET_RSS_ABI_CHECK() -> c_int {
    // SAFETY: both functions take only integers and are "any thread" in the header.
    let matches = unsafe {
        vnet_rss_abi_version() == VNET_RSS_ABI_VERSION
            && ABI_CHECK_SIZES.iter().all(|&(selector, size)| vnet_rss_sizeof(selector) == size)
    };
    if matches {
        0
    } else {
        -71
    }
}
