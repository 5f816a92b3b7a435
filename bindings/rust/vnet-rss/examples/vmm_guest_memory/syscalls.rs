//! The system calls the example makes itself, declared by hand (no libc crate): mmap and munmap
//! for guest memory, readv and poll for the tap queues.

use std::ffi::{c_int, c_void};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use vnet_rss::sys;

extern "C" {
    pub(crate) fn mmap(
        address: *mut c_void,
        length: usize,
        protection: c_int,
        flags: c_int,
        fd: c_int,
        offset: i64,
    ) -> *mut c_void;
    pub(crate) fn munmap(address: *mut c_void, length: usize) -> c_int;
    pub(crate) fn readv(fd: c_int, iov: *const sys::iovec, iovcnt: c_int) -> isize;
    fn poll(fds: *mut PollFd, count: u64, timeout: c_int) -> c_int;
}

pub(crate) const PROT_READ: c_int = 1;
pub(crate) const PROT_WRITE: c_int = 2;
pub(crate) const MAP_PRIVATE: c_int = 0x02;
pub(crate) const MAP_ANONYMOUS: c_int = 0x20;
const POLLIN: i16 = 0x1;
pub(crate) const EAGAIN: i32 = 11;
/// What a tap queue the guest turned off (TUNSETQUEUE detached) answers readv with.
pub(crate) const EBADFD: i32 = 77;

/// struct pollfd.
#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

/// Waits up to `timeout` for `fd` to be readable (or in error: a detached tap queue).
pub(crate) fn wait_readable(fd: BorrowedFd<'_>, timeout: Duration) {
    let mut entry = PollFd { fd: fd.as_raw_fd(), events: POLLIN, revents: 0 };
    // SAFETY: one struct pollfd, valid for the call. Its answer is not needed: the caller reads
    // and finds out.
    unsafe { poll(&mut entry, 1, timeout.as_millis() as c_int) };
}
