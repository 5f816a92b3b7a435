//! Guest memory: the guest's RAM as one anonymous mapping (guest physical address = offset in
//! it), reached from either side only through bounds-checked volatile accesses and atomics; and
//! the guest's allocator.

use std::io;
use std::ptr::{self, NonNull};
use std::sync::atomic::AtomicU16;

use crate::syscalls::{mmap, munmap, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};

/// The guest's RAM: one anonymous mapping; guest physical address = offset in it.
///
/// Every access from either side goes through it, bounds-checked, as volatile reads and writes of
/// bytes (the other side may write the same memory at any time: no Rust reference into it is
/// ever made), or as atomics for the rings' indices.
pub(crate) struct GuestMemory {
    base: NonNull<u8>,
    pub(crate) size: usize,
}

// SAFETY: the mapping is plain memory shared by the guest and the device threads. It is only
// reached through raw pointers (volatile) and atomics; which side owns a ring entry or a buffer
// at a time is passed through the rings' indices with release and acquire ordering.
unsafe impl Send for GuestMemory {}
// SAFETY: as above.
unsafe impl Sync for GuestMemory {}

impl GuestMemory {
    pub(crate) fn map(size: usize) -> io::Result<GuestMemory> {
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
    pub(crate) fn host_address(&self, address: u64, length: u64) -> Option<*mut u8> {
        let end = address.checked_add(length)?;
        if end > self.size as u64 {
            return None;
        }
        // SAFETY: `address` lies within the mapping (checked above), so the offset stays in it.
        Some(unsafe { self.base.as_ptr().add(address as usize) })
    }

    pub(crate) fn read_array<const N: usize>(&self, address: u64) -> Option<[u8; N]> {
        let at = self.host_address(address, N as u64)?;
        // SAFETY: N bytes inside the mapping (checked); an array of bytes has no alignment.
        Some(unsafe { ptr::read_volatile(at.cast::<[u8; N]>()) })
    }

    pub(crate) fn write_array<const N: usize>(&self, address: u64, bytes: [u8; N]) -> Option<()> {
        let at = self.host_address(address, N as u64)?;
        // SAFETY: as in read_array.
        unsafe { ptr::write_volatile(at.cast::<[u8; N]>(), bytes) };
        Some(())
    }

    pub(crate) fn read_u16(&self, address: u64) -> Option<u16> {
        self.read_array(address).map(u16::from_le_bytes)
    }

    pub(crate) fn write_u16(&self, address: u64, value: u16) -> Option<()> {
        self.write_array(address, value.to_le_bytes())
    }

    /// Copies guest bytes `address..address + out.len()` into `out`.
    pub(crate) fn read_bytes(&self, address: u64, out: &mut [u8]) -> Option<()> {
        let at = self.host_address(address, out.len() as u64)?;
        for (index, byte) in out.iter_mut().enumerate() {
            // SAFETY: inside the mapping (checked for the whole range).
            *byte = unsafe { ptr::read_volatile(at.add(index)) };
        }
        Some(())
    }

    /// Copies `bytes` to guest address `address`.
    pub(crate) fn write_bytes(&self, address: u64, bytes: &[u8]) -> Option<()> {
        let at = self.host_address(address, bytes.len() as u64)?;
        for (index, &byte) in bytes.iter().enumerate() {
            // SAFETY: inside the mapping (checked for the whole range).
            unsafe { ptr::write_volatile(at.add(index), byte) };
        }
        Some(())
    }

    /// The le16 at `address` as an atomic, for the rings' `idx` fields: the one place where the
    /// two sides hand entries to each other (values go through `to_le`/`from_le`).
    pub(crate) fn atomic_u16(&self, address: u64) -> Option<&AtomicU16> {
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
pub(crate) struct GuestAllocator {
    pub(crate) next: u64,
    pub(crate) size: u64,
}

impl GuestAllocator {
    pub(crate) fn allocate(&mut self, length: u64, alignment: u64) -> io::Result<u64> {
        let address = self.next.next_multiple_of(alignment);
        if address + length > self.size {
            return Err(io::Error::other("guest memory is full"));
        }
        self.next = address + length;
        Ok(address)
    }
}
