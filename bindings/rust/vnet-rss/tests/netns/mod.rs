//! What the tap tests and the VMM examples need from Linux besides libvnetrss, with the
//! few libc calls declared by hand (no third-party crates): a multi-queue tap, its link brought
//! up, and an AF_PACKET socket to send frames into it. Meant to run in a network namespace of
//! its own (`unshare --net`), where the tap vanishes with the namespace.
#![allow(dead_code)]

use std::ffi::{c_int, c_ulong, c_void};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;

extern "C" {
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    fn bind(fd: c_int, address: *const c_void, length: u32) -> c_int;
    fn send(fd: c_int, buffer: *const c_void, length: usize, flags: c_int) -> isize;
    fn geteuid() -> u32;
}

/// The Microsoft RSS verification key, the tests' default.
pub const MICROSOFT_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
    0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
    0x01, 0xfa,
];

/// Runs this test binary's `in_namespace` test again in a network namespace of its own
/// (`unshare --net`, with `marker` set in its environment, which the test checks) and returns its
/// standard output once it passed; None, having said why, when it cannot run here (not root, no
/// `unshare`). `test` names the calling test in those lines.
pub fn rerun_in_namespace(test: &str, marker: &str) -> Option<String> {
    if !is_root() {
        println!("{test}: skipped (needs root for unshare --net and a tap)");
        return None;
    }
    let exe = std::env::current_exe().unwrap();
    let output = match Command::new("unshare")
        .arg("--net")
        .arg(&exe)
        .args(["in_namespace", "--exact", "--include-ignored", "--nocapture", "--test-threads=1"])
        .env(marker, "1")
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            println!("{test}: skipped (cannot run unshare: {error})");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the namespace half failed");
    assert!(stdout.contains("test result: ok. 1 passed"), "the namespace half did not run");
    Some(stdout)
}

const TUNSETIFF: c_ulong = 0x4004_54ca;
const TUNSETVNETHDRSZ: c_ulong = 0x4004_54d8;
const SIOCGIFFLAGS: c_ulong = 0x8913;
const SIOCSIFFLAGS: c_ulong = 0x8914;
const SIOCGIFINDEX: c_ulong = 0x8933;
const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;
const IFF_VNET_HDR: i16 = 0x4000;
const IFF_MULTI_QUEUE: i16 = 0x0100;
const IFF_UP: i16 = 0x1;
const AF_INET: c_int = 2;
const AF_PACKET: c_int = 17;
const SOCK_DGRAM: c_int = 2;
const SOCK_RAW: c_int = 3;
const SOCK_CLOEXEC: c_int = 0o2000000;
const O_CLOEXEC: i32 = 0o2000000;
const O_NONBLOCK: i32 = 0o4000;

/// struct ifreq: the name, then a union of which the flags (a short) or the index (an int)
/// are used here.
#[repr(C)]
struct InterfaceRequest {
    name: [u8; 16],
    union: [u8; 24],
}

impl InterfaceRequest {
    fn new(name: &str) -> io::Result<InterfaceRequest> {
        let mut request = InterfaceRequest { name: [0; 16], union: [0; 24] };
        if name.is_empty() || name.len() > 15 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "interface names have 1 to 15 bytes"));
        }
        request.name[..name.len()].copy_from_slice(name.as_bytes());
        Ok(request)
    }
    fn flags(&self) -> i16 {
        i16::from_ne_bytes([self.union[0], self.union[1]])
    }
    fn set_flags(&mut self, flags: i16) {
        self.union[..2].copy_from_slice(&flags.to_ne_bytes());
    }
    fn index(&self) -> i32 {
        i32::from_ne_bytes([self.union[0], self.union[1], self.union[2], self.union[3]])
    }
}

/// Whether the effective user is root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { geteuid() == 0 }
}

fn checked(result: c_int) -> io::Result<c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// Whether this process runs in a network namespace of its own: one that holds only `lo`, as
/// `unshare --net` makes it. The tests and the example refuse to make a tap anywhere else.
pub fn in_private_namespace() -> bool {
    // /proc/self/net/dev lists the interfaces of this process's namespace (/sys/class/net
    // would show the namespace sysfs was mounted in).
    match std::fs::read_to_string("/proc/self/net/dev") {
        Ok(table) => table.lines().skip(2).filter_map(|line| line.split(':').next()).all(|name| name.trim() == "lo"),
        Err(_) => false,
    }
}

/// `count` queues of the multi-queue tap `name` (IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE |
/// IFF_VNET_HDR), as a VMM opens them: one fd per queue.
pub fn open_tap_queues(name: &str, count: usize) -> io::Result<Vec<OwnedFd>> {
    (0..count).map(|_| open_tap_queue(name, O_CLOEXEC)).collect()
}

/// `count` queues of the multi-queue tap `name` as a VMM that reads them itself opens them:
/// non-blocking (O_NONBLOCK), with a `header_size`-byte vnet header (TUNSETVNETHDRSZ; 20 for
/// virtio_net_hdr_v1_hash).
pub fn open_nonblocking_tap_queues(name: &str, count: usize, header_size: c_int) -> io::Result<Vec<OwnedFd>> {
    (0..count)
        .map(|_| {
            let fd = open_tap_queue(name, O_CLOEXEC | O_NONBLOCK)?;
            // SAFETY: TUNSETVNETHDRSZ reads an int, which `header_size` is.
            checked(unsafe { ioctl(fd.as_raw_fd(), TUNSETVNETHDRSZ, &header_size as *const c_int) })?;
            Ok(fd)
        })
        .collect()
}

/// One queue of the multi-queue tap `name`, opened with `flags` besides read and write.
fn open_tap_queue(name: &str, flags: i32) -> io::Result<OwnedFd> {
    let file: File = OpenOptions::new().read(true).write(true).custom_flags(flags).open("/dev/net/tun")?;
    let mut request = InterfaceRequest::new(name)?;
    request.set_flags(IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR);
    // SAFETY: TUNSETIFF reads and writes a struct ifreq, which `request` is.
    checked(unsafe { ioctl(file.as_raw_fd(), TUNSETIFF, &mut request as *mut InterfaceRequest) })?;
    Ok(OwnedFd::from(file))
}

fn control_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket has no memory preconditions; the fd is owned right away.
    let fd = checked(unsafe { socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` is a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Brings interface `name` up (SIOCGIFFLAGS, SIOCSIFFLAGS).
pub fn set_link_up(name: &str) -> io::Result<()> {
    let control = control_socket()?;
    let mut request = InterfaceRequest::new(name)?;
    // SAFETY: both ioctls take a struct ifreq, which `request` is.
    checked(unsafe { ioctl(control.as_raw_fd(), SIOCGIFFLAGS, &mut request as *mut InterfaceRequest) })?;
    request.set_flags(request.flags() | IFF_UP);
    // SAFETY: as above.
    checked(unsafe { ioctl(control.as_raw_fd(), SIOCSIFFLAGS, &mut request as *mut InterfaceRequest) })?;
    Ok(())
}

/// No IPv6 on the interface, so the kernel sends no solicitations of its own into it
/// (best effort: the setting may be absent).
pub fn disable_ipv6(name: &str) {
    let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6"), "1");
}

/// The index of interface `name` (SIOCGIFINDEX).
pub fn interface_index(name: &str) -> io::Result<i32> {
    let control = control_socket()?;
    let mut request = InterfaceRequest::new(name)?;
    // SAFETY: SIOCGIFINDEX takes a struct ifreq, which `request` is.
    checked(unsafe { ioctl(control.as_raw_fd(), SIOCGIFINDEX, &mut request as *mut InterfaceRequest) })?;
    Ok(request.index())
}

/// struct sockaddr_ll.
#[repr(C)]
struct LinkAddress {
    family: u16,
    protocol: u16,
    index: i32,
    hardware_type: u16,
    packet_type: u8,
    address_length: u8,
    address: [u8; 8],
}

/// An AF_PACKET socket bound to one interface: what it sends, the interface transmits, and a
/// tap hands it to its reader (the engine).
pub struct PacketSocket(OwnedFd);

impl PacketSocket {
    /// A raw packet socket on interface `name` (sends only: protocol 0 receives nothing).
    pub fn bind(name: &str) -> io::Result<PacketSocket> {
        let index = interface_index(name)?;
        // SAFETY: socket has no memory preconditions.
        let fd = checked(unsafe { socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0) })?;
        // SAFETY: `fd` is a new descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let address = LinkAddress {
            family: AF_PACKET as u16,
            protocol: 0,
            index,
            hardware_type: 0,
            packet_type: 0,
            address_length: 0,
            address: [0; 8],
        };
        // SAFETY: `address` is a struct sockaddr_ll of the size given.
        checked(unsafe {
            bind(
                fd.as_raw_fd(),
                &address as *const LinkAddress as *const c_void,
                std::mem::size_of::<LinkAddress>() as u32,
            )
        })?;
        Ok(PacketSocket(fd))
    }

    /// Sends one Ethernet frame, retrying (at most `retries` times, 100 µs apart) while the
    /// queue is full.
    pub fn send(&self, frame: &[u8], retries: u32) -> io::Result<()> {
        for _ in 0..=retries {
            // SAFETY: `frame` is valid for reads of its length.
            let sent = unsafe { send(self.0.as_raw_fd(), frame.as_ptr() as *const c_void, frame.len(), 0) };
            if sent >= 0 {
                return Ok(());
            }
            let error = io::Error::last_os_error();
            match error.raw_os_error() {
                Some(105) | Some(11) => std::thread::sleep(std::time::Duration::from_micros(100)), // ENOBUFS, EAGAIN
                _ => return Err(error),
            }
        }
        Err(io::Error::new(io::ErrorKind::WouldBlock, "the interface's queue stayed full"))
    }
}
