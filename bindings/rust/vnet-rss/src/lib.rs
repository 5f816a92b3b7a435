//! Safe Rust API over libvnetrss, the C ABI of vnet-rss (`include/vnet_rss.h`): userspace
//! receive-side scaling and virtio_net_hdr_v1_hash reports for virtio-net on a plain
//! multi-queue tap.
//!
//! - [`Config`]: a configuration decoded and validated from a wire format
//!   ([`Config::decode`], [`Config::validate`]) or built from fields ([`Config::new`]),
//!   encoded into a `Vec<u8>` or a caller buffer;
//! - [`toeplitz`]: the Toeplitz hash of a tuple;
//! - [`Classifier`] and [`Batch`]: a frame decided in caller memory (vnet header room first),
//!   one at a time or in batches;
//! - [`Engine`] and [`QueueReceiver`]: reader threads over the tap fds, frames taken per receive
//!   queue by closure or into caller buffers;
//! - [`Steering`], [`Steerer`] and [`SteeringProgram`]: who steers frames to their receive
//!   queue (the readers, the kernel-side steering eBPF program, or the kernel series' RSS), and
//!   the program's descriptors a privileged manager loads for an unprivileged VMM;
//! - [`TapSteering`] and [`QueueClassifier`]: the steering program over a VMM's own tap fds,
//!   for a VMM that `readv`s each tap queue straight into guest memory itself; the hash report
//!   is written there, in place, over the same iovecs ([`GuestDecision`]).
//!
//! Every failure is an [`Error`]; a refused configuration is [`Error::Refused`] with the rule,
//! field, value, limit, the virtio ack and the kernel errno. Handles are freed on drop. Types
//! are `Send`/`Sync` only where vnet_rss.h says "any thread".
//!
//! The library is found with pkg-config (see the vnet-rss-sys crate); raw declarations are
//! re-exported as [`sys`].
//!
//! ```no_run
//! use vnet_rss::{toeplitz, Config, Format, Policy, Validation, DeviceLimits};
//! # fn main() -> Result<(), vnet_rss::Error> {
//! let guest_command: &[u8] = &[/* struct virtio_net_rss_config */];
//! let config = Config::decode(Format::VirtioRss, Policy::Virtio, guest_command)?;
//! config.validate(Validation::Virtio(DeviceLimits::qemu(4)))?;
//! let blob = config.encode(Format::TunVnetRss)?;
//! # let _ = (blob, toeplitz(&[0; 40], &[0; 12])?);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod classifier;
mod config;
mod engine;
mod error;
mod guest_steering;
mod steering;

use std::sync::OnceLock;

pub use vnet_rss_sys as sys;

pub use classifier::{Batch, Classifier, Decision, ExtensionHeaderRule, Packet};
pub use config::{report, Config, DeviceLimits, Features, Fields, Format, HashTypes, Parts, Policy, Validation};
pub use engine::{
    kernel_capability, Capability, Engine, EngineOptions, Frame, FrameSlot, InlineHandler, QueueReceiver, Reader,
    Statistics,
};
pub use error::{Error, Rule};
pub use guest_steering::{
    BatchStopped, GuestDecision, GuestFrame, HashFields, QueueClassifier, SteeringCounters, TapSteering,
    TapSteeringOptions, HASH_FIELDS_OFFSET, HASH_FIELDS_SIZE,
};
pub use steering::{ActiveSteering, Steerer, Steering, SteeringProgram, STEERING_PROGRAM_FDS};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The size of the vnet header the engine sets on its taps and hands frames with
/// (virtio_net_hdr_v1_hash).
pub const VNET_HEADER_SIZE: usize = 20;

/// Checks that the library matches the declarations this crate was built with
/// (`VNET_RSS_ABI_CHECK()`: `vnet_rss_abi_version` and every `vnet_rss_sizeof`).
/// Constructors check it once per process.
pub fn abi_check() -> Result<()> {
    // SAFETY: VNET_RSS_ABI_CHECK calls two "any thread" functions that take no pointers.
    if unsafe { sys::VNET_RSS_ABI_CHECK() } == 0 {
        Ok(())
    } else {
        Err(Error::AbiMismatch { library_version: abi_version() })
    }
}

/// The library's ABI version (`vnet_rss_abi_version`).
pub fn abi_version() -> u32 {
    // SAFETY: no arguments; "any thread".
    unsafe { sys::vnet_rss_abi_version() }
}

pub(crate) fn ensure_abi() -> Result<()> {
    static CHECKED: OnceLock<Result<()>> = OnceLock::new();
    CHECKED.get_or_init(abi_check).clone()
}

/// The Toeplitz hash of `input` (at most 36 bytes, and at most `key.len() - 4`) under `key`
/// (`vnet_rss_toeplitz`). Prepares the key on every call: for tools and tests; classifiers
/// prepare once. An input longer than the key allows gives [`Error::Os`] with ERANGE, one
/// longer than 36 bytes EINVAL.
pub fn toeplitz(key: &[u8], input: &[u8]) -> Result<u32> {
    ensure_abi()?;
    let mut hash = 0u32;
    // An empty slice's pointer is dangling but not NULL; the library reads none of its bytes.
    // SAFETY: `key` and `input` are valid for their lengths; `hash` is valid for writes.
    let code = unsafe { sys::vnet_rss_toeplitz(key.as_ptr(), key.len(), input.as_ptr(), input.len(), &mut hash) };
    error::check("vnet_rss_toeplitz", code, None)?;
    Ok(hash)
}
