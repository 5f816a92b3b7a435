//! vmm_guest_memory: the receive path of a VMM that keeps its own datapath, the way
//! cloud-hypervisor and Firecracker have it, with RSS and hash reports from vnet-rss.
//!
//! One thread per queue pair pops the guest's receive chains from its split virtqueue, walks the
//! descriptors into iovecs over guest memory (every address checked against the region, as a
//! VMM must), `readv`s its own tap queue straight into them, and hands the same iovecs to its
//! [`QueueClassifier`], which writes hash_value and hash_report into the header wherever the
//! chain put it. No copy: vnet-rss only steers (the steering program queues each frame on the
//! tap queue of the receive queue the guest's RSS configuration names) and classifies in place.
//!
//! The parts, in one process:
//! - guest memory: one anonymous mapping, guest physical address = offset in it, holding four
//!   split virtqueues (256 descriptors each) and their receive buffers, each queue with chains
//!   of its own shape: one 2,048-byte buffer; the 20-byte header in its own descriptor; mergeable
//!   256-byte buffers (VIRTIO_NET_F_MRG_RXBUF, a frame spans several, num_buffers says how many);
//!   odd splits that put the header across several descriptors, a 0-byte one included;
//! - the device: four queue threads, and a control thread that executes the guest's
//!   control-queue commands (VIRTIO_NET_CTRL_MQ_RSS_CONFIG, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) on
//!   the [`TapSteering`] it owns;
//! - the guest: the main thread, which posts receive chains, sends control commands (an RSS
//!   configuration, a refused one, four queue pairs; later three queue pairs and a new table),
//!   sends traffic into the tap (AF_PACKET: IPv4 and IPv6, TCP, UDP and ICMP, ARP now and then,
//!   60 to 1,514 bytes) and reads its used rings like a driver, reposting the buffers;
//! - the check: every frame the guest received, rebuilt from guest memory, against what was sent
//!   and what the virtio spec says a device reports for it, computed here without the library (a
//!   bit-by-bit Toeplitz over the frame's own fields, the queue from the indirection table).
//!
//! Prints `vmm-example Rust: N frames, N verified, 0 mismatched, 0 strays` and exits 0 when every
//! frame sent arrived once, whole, on its queue, with the right header, and the program steered
//! every one (no strays). Run as root in a network namespace of its own:
//! `unshare --net target/debug/examples/vmm_guest_memory` (scripts/rust-vmm-example.sh).
//!
//! [`QueueClassifier`]: vnet_rss::QueueClassifier
//! [`TapSteering`]: vnet_rss::TapSteering

#[path = "../../tests/netns/mod.rs"]
mod netns;

// Guest memory, as both sides reach it.
mod guest_memory;
mod syscalls;
mod virtqueue;

// The device.
mod control;
mod queue_thread;
mod rx_queue;

// The guest.
mod frames;
mod guest_receiver;
mod rss_settings;
mod rx_driver;

// The check.
mod check;
mod reference;

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use vnet_rss::DeviceLimits;

use check::{verify, Verdict};
use control::{ControlPlane, ControlQueue, ShutdownReport};
use guest_memory::{GuestAllocator, GuestMemory};
use guest_receiver::{run_phase, GuestReceiver};
use queue_thread::{run_queue_thread, QueueStatus};
use rss_settings::{phase_settings, RssSettings};
use rx_driver::RxDriver;
use virtqueue::{ChainShape, RingLayout};

// ---- The device ---------------------------------------------------------------------------------

const TAP_NAME: &str = "vrssvmmr0";
const QUEUE_PAIRS: u16 = 4;
/// Descriptors per virtqueue.
const QUEUE_SIZE: u16 = 256;
/// struct virtio_net_hdr_v1_hash: the tap's vnet header (TUNSETVNETHDRSZ) and the guest's.
const HEADER_SIZE: usize = 20;
/// virtio_net_hdr_v1_hash.num_buffers, the device's to write (le16).
const NUM_BUFFERS_OFFSET: u64 = 10;
const FRAME_MAX: usize = 1514;
/// The chains of the mergeable queue: single 256-byte buffers.
const MERGEABLE_BUFFER: u32 = 256;
/// Chains a mergeable readv takes: enough for the largest frame and its header.
const MERGEABLE_CHAINS: usize = (HEADER_SIZE + FRAME_MAX).div_ceil(MERGEABLE_BUFFER as usize);
/// The longest chain a queue thread accepts; its iovec array holds MERGEABLE_CHAINS of them.
const CHAIN_MAX_SEGMENTS: usize = 8;
const GUEST_MEMORY_SIZE: usize = 4 << 20;

/// What the device advertises (struct virtio_net_config's RSS fields): QEMU's limits.
const DEVICE_LIMITS: DeviceLimits = DeviceLimits::qemu(QUEUE_PAIRS);

/// virtio-net control commands (struct virtio_net_ctrl: class, command, data; the ack back).
const VIRTIO_NET_CTRL_MQ: u8 = 4;
const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: u8 = 0;
const VIRTIO_NET_CTRL_MQ_RSS_CONFIG: u8 = 1;
const VIRTIO_NET_OK: u8 = 0;
const VIRTIO_NET_ERR: u8 = 1;

// ---- The traffic --------------------------------------------------------------------------------

const FRAMES_PER_PHASE: u16 = 600;
/// Frames in flight at most: far below a tap queue's 500.
const BURST: u64 = 48;
/// How long a phase may take before the guest gives up waiting for its frames.
const PHASE_DEADLINE: Duration = Duration::from_secs(10);
const MACS: [u8; 12] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
/// The last bytes of every frame sent: 'V' 'R', the phase, the frame's number (be16).
const TAG_SIZE: usize = 5;

/// The Microsoft RSS key.
const MICROSOFT_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
    0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
    0x01, 0xfa,
];
/// VIRTIO_NET_RSS_HASH_TYPE_*: IPv4, TCPv4, UDPv4, IPv6, TCPv6, UDPv6, IP_EX, TCP_EX, UDP_EX.
const ALL_HASH_TYPES: u32 = 0x1ff;
/// VIRTIO_NET_HASH_REPORT_*, the values the check expects in hash_report.
const REPORT_NONE: u16 = 0;
const REPORT_IPV4: u16 = 1;
const REPORT_TCPV4: u16 = 2;
const REPORT_UDPV4: u16 = 3;
const REPORT_IPV6: u16 = 4;
const REPORT_TCPV6: u16 = 5;
const REPORT_UDPV6: u16 = 6;

// ---- The run --------------------------------------------------------------------------------------

/// The tap as a VMM opens it: one non-blocking fd per queue pair with a 20-byte vnet header; no
/// IPv6 on the link (so the host stack sends nothing of its own into it), then up.
fn open_tap() -> io::Result<Vec<OwnedFd>> {
    let taps = netns::open_nonblocking_tap_queues(TAP_NAME, usize::from(QUEUE_PAIRS), HEADER_SIZE as c_int)?;
    std::fs::write(format!("/proc/sys/net/ipv6/conf/{TAP_NAME}/disable_ipv6"), "1")?;
    netns::set_link_up(TAP_NAME)?;
    Ok(taps)
}

/// The guest's memory with its four receive virtqueues, their chains posted.
fn guest_receiver(memory: &GuestMemory) -> io::Result<GuestReceiver> {
    let mut allocator = GuestAllocator { next: 0, size: memory.size as u64 };
    let drivers = ChainShape::BY_QUEUE
        .iter()
        .map(|&shape| RxDriver::new(memory, &mut allocator, shape))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(GuestReceiver { drivers, packets: Vec::new(), arrived: [0; 2], broken: 0 })
}

/// What the guest did and saw.
struct GuestRun {
    sent: u64,
    acks_as_expected: bool,
}

/// The guest's part: its control commands and its traffic, in two phases.
fn run_guest(
    control: &ControlQueue,
    guest: &mut GuestReceiver,
    memory: &GuestMemory,
    settings: &[RssSettings; 2],
) -> io::Result<GuestRun> {
    if control.rss_config(&settings[0]) != VIRTIO_NET_OK {
        return Err(io::Error::other("the device refused the guest's first RSS configuration"));
    }
    // A table entry past the device's queue pairs: refused (the configuration in force stays).
    let refused = RssSettings { table: vec![0, 1, 2, 7], ..settings[0].clone() };
    let mut acks = control.rss_config(&refused) == VIRTIO_NET_ERR;
    acks &= control.queue_pairs(QUEUE_PAIRS) == VIRTIO_NET_OK;
    let socket = netns::PacketSocket::bind(TAP_NAME)?;
    let mut sent = run_phase(&socket, guest, memory, 0);

    // ethtool -L combined 3, then ethtool -X with a table over the three queues.
    acks &= control.queue_pairs(3) == VIRTIO_NET_OK;
    acks &= control.rss_config(&settings[1]) == VIRTIO_NET_OK;
    sent += run_phase(&socket, guest, memory, 1);
    Ok(GuestRun { sent, acks_as_expected: acks })
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    vnet_rss::abi_check()?;
    let settings = phase_settings();
    let memory = GuestMemory::map(GUEST_MEMORY_SIZE)?;
    let mut guest = guest_receiver(&memory)?;
    let layouts: Vec<RingLayout> = guest.drivers.iter().map(|driver| driver.layout).collect();
    let taps = open_tap()?;
    let statuses: Vec<QueueStatus> = (0..QUEUE_PAIRS).map(|_| QueueStatus::default()).collect();
    let stopping = AtomicBool::new(false);

    let (guest_run, queue_threads_ended, report) = thread::scope(|scope| {
        let mut handoffs = Vec::new();
        let mut queue_threads = Vec::new();
        for (queue, tap) in taps.iter().enumerate() {
            let (handoff, classifier) = mpsc::channel();
            handoffs.push(handoff);
            let (memory, layout, status, stopping) = (&memory, layouts[queue], &statuses[queue], &stopping);
            let shape = ChainShape::BY_QUEUE[queue];
            queue_threads.push(
                scope.spawn(move || run_queue_thread(tap.as_fd(), memory, layout, shape, classifier, status, stopping)),
            );
        }
        let (messages, inbox) = mpsc::channel();
        let plane =
            ControlPlane { taps: &taps, statuses: &statuses, handoffs, steering: None, steered_by_program: false };
        scope.spawn(move || plane.run(inbox));
        let control = ControlQueue { messages };

        let guest_run = run_guest(&control, &mut guest, &memory, &settings);
        // The queue threads end first, their classifiers dropped; then the device reports its
        // counters and detaches the program, and the steering object goes with the control
        // thread.
        stopping.store(true, Ordering::Release);
        let joined: Vec<bool> = queue_threads.into_iter().map(|thread| thread.join().is_ok()).collect();
        let queue_threads_ended = joined.iter().all(|&ended| ended);
        (guest_run, queue_threads_ended, control.shut_down())
    });
    drop(taps);
    let guest_run = guest_run?;
    let report = report.ok_or("the device did not shut down")?;
    let strays: u64 = report.counters.iter().map(|counters| counters.strays).sum();
    let verdict = verify(&guest.packets, &settings);
    println!(
        "vmm-example Rust: {} frames, {} verified, {} mismatched, {strays} strays",
        guest_run.sent, verdict.verified, verdict.mismatched
    );
    Ok(verdict.verified == guest_run.sent
        && verdict.mismatched == 0
        && strays == 0
        && queue_threads_ended
        && device_was_sound(&guest_run, &report, &statuses, &guest, &verdict))
}

/// The rest of what must hold, said on stderr when it does not: the acks, the program steering,
/// no refused chain, read or classify, every used entry understood. (Packets not sent by this
/// program are only told: the host's own would be no fault of the device.)
fn device_was_sound(
    guest_run: &GuestRun,
    report: &ShutdownReport,
    statuses: &[QueueStatus],
    guest: &GuestReceiver,
    verdict: &Verdict,
) -> bool {
    let mut sound = true;
    let mut expect = |holds: bool, what: String| {
        if !holds {
            eprintln!("vmm_guest_memory: {what}");
            sound = false;
        }
    };
    expect(guest_run.acks_as_expected, "a control command was not answered as expected".to_string());
    expect(report.steered_by_program, "the steering program was not attached".to_string());
    for (queue, status) in statuses.iter().enumerate() {
        let refused = status.refused_chains.load(Ordering::Relaxed)
            + status.failed_reads.load(Ordering::Relaxed)
            + status.refused_classifies.load(Ordering::Relaxed);
        expect(refused == 0, format!("queue {queue}: {refused} refused chains, failed reads or classifies"));
    }
    expect(guest.broken == 0, format!("{} used entries the driver could not read", guest.broken));
    if verdict.not_ours > 0 {
        eprintln!("vmm_guest_memory: {} packets not sent by this program", verdict.not_ours);
    }
    sound
}

fn main() -> ExitCode {
    if !netns::is_root() {
        println!("vmm_guest_memory: skipped (needs root, in a network namespace of its own: unshare --net)");
        return ExitCode::SUCCESS;
    }
    if !netns::in_private_namespace() {
        eprintln!("vmm_guest_memory: run it in a network namespace of its own (unshare --net)");
        return ExitCode::FAILURE;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("vmm_guest_memory: {error}");
            ExitCode::FAILURE
        }
    }
}
