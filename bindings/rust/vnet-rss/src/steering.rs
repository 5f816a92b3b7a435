//! Steering: who puts each frame on its receive queue (`VNET_RSS_STEERING_*`), and the steering
//! program's descriptors a privileged manager loads and hands to an unprivileged VMM.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use vnet_rss_sys as sys;

use crate::error::{check, Error, EPROTO};
use crate::Result;

/// The number of descriptors of a steering program (`VNET_RSS_STEERING_PROGRAM_FDS`).
pub const STEERING_PROGRAM_FDS: usize = sys::VNET_RSS_STEERING_PROGRAM_FDS as usize;

/// The steering an engine is asked for (`VNET_RSS_STEERING_*`, the `steering` argument of
/// `vnet_rss_engine_create_steered`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Steering {
    /// `VNET_RSS_STEERING_AUTOMATIC`: the kernel series' RSS where the kernel has it, else the
    /// steering program, else userspace; never fails for want of one of them
    /// ([`Engine::steering`](crate::Engine::steering) says what was chosen and why). What
    /// [`Engine::new`](crate::Engine::new) (`vnet_rss_engine_create`) asks for.
    #[default]
    Automatic,
    /// `VNET_RSS_STEERING_USERSPACE`: the readers hand each frame to its receive queue's
    /// consumer, whatever tap queue it arrived on.
    Userspace,
    /// `VNET_RSS_STEERING_PROGRAM`: the steering eBPF program (TUNSETSTEERINGEBPF) queues each
    /// frame on the tap queue of its receive queue, so tap queue q carries exactly receive
    /// queue q's frames. Needs as many receive queues as tap queues, and either the privilege
    /// to load the program or a [`SteeringProgram`] loaded by a process that has it.
    Program,
    /// `VNET_RSS_STEERING_KERNEL`: the kernel series' TUNSETVNETHASH. A kernel without the
    /// series gives [`Error::Os`] with EOPNOTSUPP.
    Kernel,
}

impl Steering {
    /// The `VNET_RSS_STEERING_*` value.
    pub const fn raw(self) -> u32 {
        match self {
            Steering::Automatic => sys::VNET_RSS_STEERING_AUTOMATIC,
            Steering::Userspace => sys::VNET_RSS_STEERING_USERSPACE,
            Steering::Program => sys::VNET_RSS_STEERING_PROGRAM,
            Steering::Kernel => sys::VNET_RSS_STEERING_KERNEL,
        }
    }

    /// The mode a `VNET_RSS_STEERING_*` value names; `None` for any other value.
    pub const fn from_raw(raw: u32) -> Option<Steering> {
        match raw {
            sys::VNET_RSS_STEERING_AUTOMATIC => Some(Steering::Automatic),
            sys::VNET_RSS_STEERING_USERSPACE => Some(Steering::Userspace),
            sys::VNET_RSS_STEERING_PROGRAM => Some(Steering::Program),
            sys::VNET_RSS_STEERING_KERNEL => Some(Steering::Kernel),
            _ => None,
        }
    }
}

impl From<Steerer> for Steering {
    /// The mode that asks for exactly this steerer.
    fn from(steerer: Steerer) -> Steering {
        match steerer {
            Steerer::Userspace => Steering::Userspace,
            Steerer::Program => Steering::Program,
            Steerer::Kernel => Steering::Kernel,
        }
    }
}

/// Who steers an engine's frames now: what `vnet_rss_engine_steering` returns
/// (`VNET_RSS_STEERING_USERSPACE`, `_PROGRAM` or `_KERNEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Steerer {
    /// `VNET_RSS_STEERING_USERSPACE`: the readers.
    Userspace,
    /// `VNET_RSS_STEERING_PROGRAM`: the steering eBPF program.
    Program,
    /// `VNET_RSS_STEERING_KERNEL`: the kernel series' TUNSETVNETHASH.
    Kernel,
}

impl Steerer {
    /// The `VNET_RSS_STEERING_*` value.
    pub const fn raw(self) -> u32 {
        Steering::raw(match self {
            Steerer::Userspace => Steering::Userspace,
            Steerer::Program => Steering::Program,
            Steerer::Kernel => Steering::Kernel,
        })
    }

    /// The steerer a return value of `vnet_rss_engine_steering` names; `None` for any other
    /// value (AUTOMATIC included: it is never in force).
    pub const fn from_raw(raw: u32) -> Option<Steerer> {
        match raw {
            sys::VNET_RSS_STEERING_USERSPACE => Some(Steerer::Userspace),
            sys::VNET_RSS_STEERING_PROGRAM => Some(Steerer::Program),
            sys::VNET_RSS_STEERING_KERNEL => Some(Steerer::Kernel),
            _ => None,
        }
    }
}

impl fmt::Display for Steerer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Steerer::Userspace => "userspace",
            Steerer::Program => "program",
            Steerer::Kernel => "kernel",
        })
    }
}

/// The steering in force and why (`vnet_rss_engine_steering` with its `reason`), from
/// [`Engine::steering`](crate::Engine::steering).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActiveSteering {
    /// Who steers (the function's return value).
    pub steerer: Steerer,
    /// Why, in the library's words (the `reason` text).
    pub reason: String,
}

impl fmt::Display for ActiveSteering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.steerer, self.reason)
    }
}

/// The [`STEERING_PROGRAM_FDS`] descriptors of a loaded steering program, in the order
/// vnet_rss.h gives them: the program, the switch, slot 0, slot 1.
///
/// A privileged manager loads it ([`SteeringProgram::load`], `vnet_rss_steering_program_load`)
/// and passes the descriptors ([`SteeringProgram::as_raw_fds`], or [`SteeringProgram::into_fds`])
/// to an unprivileged VMM, as QEMU's `ebpf-rss-fds`; the VMM adopts them with
/// [`SteeringProgram::from_fds`] and hands them to
/// [`Engine::with_steering`](crate::Engine::with_steering) (`vnet_rss_engine_create_steered`),
/// which keeps duplicates: the `SteeringProgram` may be dropped after that, and one program may
/// serve several engines.
///
/// Owns its descriptors and closes them on drop. `Send` and `Sync` (descriptors only; the load
/// is "any thread").
#[derive(Debug)]
pub struct SteeringProgram {
    fds: [OwnedFd; STEERING_PROGRAM_FDS],
}

impl SteeringProgram {
    /// Loads the steering program (`vnet_rss_steering_program_load`): needs CAP_SYS_ADMIN, or
    /// CAP_BPF with CAP_PERFMON; [`Error::Os`] with EPERM
    /// without the privilege. The descriptors are close-on-exec.
    pub fn load() -> Result<SteeringProgram> {
        crate::ensure_abi()?;
        let mut fds = [-1i32; STEERING_PROGRAM_FDS];
        // SAFETY: `fds` has room for the VNET_RSS_STEERING_PROGRAM_FDS descriptors the function
        // writes; "any thread".
        let code = unsafe { sys::vnet_rss_steering_program_load(fds.as_mut_ptr()) };
        check("vnet_rss_steering_program_load", code, None)?;
        if fds.iter().any(|&fd| fd < 0) {
            // Close whatever was written, then report the broken promise.
            for &fd in fds.iter().filter(|&&fd| fd >= 0) {
                // SAFETY: a descriptor the library wrote for the caller to own and close.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
            }
            return Err(Error::Os { function: "vnet_rss_steering_program_load", errno: EPROTO });
        }
        // SAFETY: on success the library wrote VNET_RSS_STEERING_PROGRAM_FDS open descriptors
        // (checked non-negative above), each new and the caller's to close: owned from here.
        Ok(SteeringProgram { fds: fds.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }) })
    }

    /// Adopts descriptors received from the process that loaded the program (a manager's
    /// `vnet_rss_steering_program_load`), in its order: the program, the switch, slot 0,
    /// slot 1. Nothing is checked here; descriptors that are not such a program make
    /// [`Engine::with_steering`](crate::Engine::with_steering) fail.
    pub fn from_fds(fds: [OwnedFd; STEERING_PROGRAM_FDS]) -> SteeringProgram {
        SteeringProgram { fds }
    }

    /// The descriptors as integers, in order (still owned by `self`): to pass on, for instance
    /// as SCM_RIGHTS or as `ebpf-rss-fds`, and for `vnet_rss_engine_create_steered`'s
    /// `program_fds`.
    pub fn as_raw_fds(&self) -> [RawFd; STEERING_PROGRAM_FDS] {
        std::array::from_fn(|i| self.fds[i].as_raw_fd())
    }

    /// The descriptors, borrowed, in order.
    pub fn as_fds(&self) -> [BorrowedFd<'_>; STEERING_PROGRAM_FDS] {
        std::array::from_fn(|i| self.fds[i].as_fd())
    }

    /// The descriptors, in order, now the caller's.
    pub fn into_fds(self) -> [OwnedFd; STEERING_PROGRAM_FDS] {
        self.fds
    }
}
