//! The error type: every failure of the C ABI as a typed value.

use std::ffi::c_int;
use std::fmt;

use vnet_rss_sys as sys;

pub(crate) const EBADF: i32 = 9;
pub(crate) const EINVAL: i32 = 22;
pub(crate) const ENOSPC: i32 = 28;
pub(crate) const ERANGE: i32 = 34;
pub(crate) const EPROTO: i32 = 71;

/// The rule a refused configuration broke (`vnet_rss_error.rule`, `VNET_RSS_RULE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `VNET_RSS_RULE_TRUNCATED`: value is the blob's length, limit the length needed.
    Truncated,
    /// `VNET_RSS_RULE_TRAILING_BYTES`: value is the blob's length, limit the exact length.
    TrailingBytes,
    /// `VNET_RSS_RULE_RESERVED_NOT_ZERO`: limit is 0.
    ReservedNotZero,
    /// `VNET_RSS_RULE_NOT_POWER_OF_TWO`: value is indirection_table_mask + 1.
    NotPowerOfTwo,
    /// `VNET_RSS_RULE_ABOVE_MAXIMUM`: limit is the largest value allowed.
    AboveMaximum,
    /// `VNET_RSS_RULE_BELOW_MINIMUM`: limit is the smallest value allowed.
    BelowMinimum,
    /// `VNET_RSS_RULE_UNSUPPORTED_BITS`: limit is the supported mask.
    UnsupportedBits,
    /// A rule number this crate does not know (a newer library).
    Other(u32),
}

impl Rule {
    /// The rule for a `VNET_RSS_RULE_*` value (`None` for `VNET_RSS_RULE_NONE`).
    pub fn from_raw(rule: u32) -> Option<Rule> {
        Some(match rule {
            sys::VNET_RSS_RULE_NONE => return None,
            sys::VNET_RSS_RULE_TRUNCATED => Rule::Truncated,
            sys::VNET_RSS_RULE_TRAILING_BYTES => Rule::TrailingBytes,
            sys::VNET_RSS_RULE_RESERVED_NOT_ZERO => Rule::ReservedNotZero,
            sys::VNET_RSS_RULE_NOT_POWER_OF_TWO => Rule::NotPowerOfTwo,
            sys::VNET_RSS_RULE_ABOVE_MAXIMUM => Rule::AboveMaximum,
            sys::VNET_RSS_RULE_BELOW_MINIMUM => Rule::BelowMinimum,
            sys::VNET_RSS_RULE_UNSUPPORTED_BITS => Rule::UnsupportedBits,
            other => Rule::Other(other),
        })
    }
}

/// Why a call failed. Each variant says what the C function returned; [`Error::errno`] gives
/// the negative errno back.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration was refused: -EINVAL with `vnet_rss_error` filled, from decoding,
    /// validating, creating, preparing or applying it.
    Refused {
        /// `vnet_rss_error.rule`.
        rule: Rule,
        /// `vnet_rss_error.field`, C spelling: `"indirection_table[3]"`.
        field: String,
        /// `vnet_rss_error.value`: the field's value.
        value: u64,
        /// `vnet_rss_error.limit`: the limit it broke (see the rule).
        limit: u64,
        /// `vnet_rss_error.virtio_ack`: what the control queue answers, VIRTIO_NET_ERR (1).
        virtio_ack: u32,
        /// `vnet_rss_error.kernel_errno`: what TUNSETVNETHASH would give (EFAULT or EINVAL).
        kernel_errno: i32,
        /// `vnet_rss_error.message`: the whole sentence.
        message: String,
    },
    /// A caller buffer is too small (-ENOSPC, or found before the call).
    BufferTooSmall {
        /// The size needed (bytes, entries or frames, as the buffer counts).
        needed: usize,
        /// The size given.
        capacity: usize,
    },
    /// A queue past the engine's (-ERANGE, or found before the call).
    QueueOutOfRange {
        /// The queue asked for.
        queue: u16,
        /// How many there are.
        queues: u16,
    },
    /// A [`QueueReceiver`](crate::QueueReceiver) was used after its
    /// [`Engine`](crate::Engine) was dropped (the readers are stopped; nothing more arrives).
    EngineClosed,
    /// [`Engine::receiver`](crate::Engine::receiver) for a queue whose receiver is alive: the C
    /// ABI allows one consumer thread per receive queue.
    ReceiverTaken {
        /// The queue.
        queue: u16,
    },
    /// [`TapSteering::classifier`](crate::TapSteering::classifier) for a tap queue whose
    /// classifier is alive: the C ABI allows one thread at a time per arrival queue.
    ClassifierTaken {
        /// The arrival queue.
        arrival_queue: u16,
    },
    /// The library does not match vnet-rss-sys (`VNET_RSS_ABI_CHECK()` is -EPROTO).
    AbiMismatch {
        /// `vnet_rss_abi_version()`.
        library_version: u32,
    },
    /// Any other failure: the C function and the errno it returned (EINVAL for an argument it
    /// refused, EBADF for a descriptor that is not open, ENOTTY or EINVAL for one that is not a
    /// tap, ...).
    Os {
        /// The C function.
        function: &'static str,
        /// The errno (positive).
        errno: i32,
    },
}

impl Error {
    /// The negative errno the C function returned (or would have): what a VMM passes on.
    pub fn errno(&self) -> i32 {
        -match self {
            Error::Refused { .. } => EINVAL,
            Error::BufferTooSmall { .. } => ENOSPC,
            Error::QueueOutOfRange { .. } => ERANGE,
            Error::EngineClosed => EBADF,
            Error::ReceiverTaken { .. } | Error::ClassifierTaken { .. } => 16, // EBUSY
            Error::AbiMismatch { .. } => EPROTO,
            Error::Os { errno, .. } => *errno,
        }
    }

    /// The refusal in `error`, when it holds one.
    pub(crate) fn refusal(error: &sys::vnet_rss_error) -> Option<Error> {
        let rule = Rule::from_raw(error.rule)?;
        Some(Error::Refused {
            rule,
            field: c_string(&error.field),
            value: error.value,
            limit: error.limit,
            virtio_ack: error.virtio_ack,
            kernel_errno: error.kernel_errno,
            message: c_string(&error.message),
        })
    }
}

/// A NUL-terminated C string in a fixed array (the whole array when it has no NUL).
fn c_string(array: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = array.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `code` as a result: a count, a refusal when `error` holds one and the code is -EINVAL, else
/// [`Error::Os`].
pub(crate) fn check(function: &'static str, code: c_int, error: Option<&sys::vnet_rss_error>) -> Result<usize, Error> {
    if code >= 0 {
        return Ok(code as usize);
    }
    if code == -EINVAL {
        if let Some(refusal) = error.and_then(Error::refusal) {
            return Err(refusal);
        }
    }
    Err(Error::Os { function, errno: -code })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused { message, field, rule, .. } if message.is_empty() => {
                write!(f, "configuration refused: {field} ({rule:?})")
            }
            Error::Refused { message, .. } => write!(f, "configuration refused: {message}"),
            Error::BufferTooSmall { needed, capacity } => {
                write!(f, "buffer too small: {capacity} given, {needed} needed")
            }
            Error::QueueOutOfRange { queue, queues } => write!(f, "queue {queue} out of range (there are {queues})"),
            Error::EngineClosed => write!(f, "the engine was dropped"),
            Error::ReceiverTaken { queue } => write!(f, "receive queue {queue} already has a receiver"),
            Error::ClassifierTaken { arrival_queue } => {
                write!(f, "arrival queue {arrival_queue} already has a classifier")
            }
            Error::AbiMismatch { library_version } => write!(
                f,
                "libvnetrss (ABI {library_version}) does not match vnet_rss.h (ABI {})",
                sys::VNET_RSS_ABI_VERSION
            ),
            Error::Os { function, errno } => {
                write!(f, "{function}: {}", std::io::Error::from_raw_os_error(*errno))
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        std::io::Error::new(std::io::Error::from_raw_os_error(-error.errno()).kind(), error)
    }
}
