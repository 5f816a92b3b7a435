//! vmm_backend: a VMM's network backend in the shape cloud-hypervisor, Firecracker or QEMU give
//! it, built on vnet-rss; the Rust counterpart of Examples/c-vmm-backend/backend.c.
//!
//! It opens a multi-queue tap (one fd per queue, IFF_VNET_HDR), hands the fds to an engine with
//! the guest's first RSS configuration, and runs one worker thread per receive queue that waits
//! for frames and takes them with their virtio_net_hdr_v1_hash in front, as it would place them
//! in the guest's receive virtqueue. Midway the "guest" sends a new
//! VIRTIO_NET_CTRL_MQ_RSS_CONFIG command: the bytes of a struct virtio_net_rss_config, which the
//! backend decodes, validates against what the device advertises, and applies while the
//! readers run.
//!
//! At start it prints who steers frames to their receive queue and why (`Engine::steering`):
//! with the steering program in force, tap queue q carries exactly receive queue q's frames.
//!
//! As a check, traffic comes from this program too (an AF_PACKET socket on the tap), and every
//! frame's queue, hash_value, hash_report and num_buffers is compared with an independent
//! computation: a bit-by-bit Toeplitz over the frame's own fields. Exit status 0 when every
//! frame arrived once, where it should, with the right header.
//!
//! Run as root in a network namespace of its own: `unshare --net target/debug/examples/vmm_backend`.

#[path = "../tests/netns/mod.rs"]
mod netns;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use vnet_rss::{
    report, Config, DeviceLimits, Engine, EngineOptions, Features, Fields, Format, Frame, FrameSlot, HashTypes, Policy,
    QueueReceiver, Validation,
};

const QUEUES: u16 = 4;
const FRAMES_PER_PHASE: u64 = 2000;
const TAP_NAME: &str = "vrssrs0";
const MACS: [u8; 12] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];

/// The Microsoft key (the first configuration's).
const FIRST_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
    0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
    0x01, 0xfa,
];
/// The second configuration's table leaves queue 0 out.
const SECOND_TABLE: [u16; 8] = [1, 2, 3, 1, 2, 3, 1, 2];

/// What the workers compare against, per phase.
struct Phase {
    key: [u8; 40],
    table: Vec<u16>,
}

struct Check {
    phases: [Phase; 2],
    received: [AtomicU64; 2],
    foreign: AtomicU64,
    mismatches: AtomicU64,
    per_queue: Vec<AtomicU64>,
}

/// Toeplitz as the virtio spec words it: input bit j adds the key bits [j, j + 32).
fn toeplitz(key: &[u8], input: &[u8]) -> u32 {
    let mut result = 0u32;
    for bit in 0..8 * input.len() {
        if input[bit / 8] & (0x80 >> (bit % 8)) == 0 {
            continue;
        }
        let mut window = 0u32;
        for k in 0..32 {
            window = window << 1 | u32::from((key[(bit + k) / 8] >> (7 - (bit + k) % 8)) & 1);
        }
        result ^= window;
    }
    result
}

/// The frames: IPv4 TCP, IPv4 UDP, IPv6 TCP, in turn; the payload's first bytes carry the
/// phase and the frame's number.
fn build_frame(phase: u8, number: u16) -> Vec<u8> {
    let mut frame = MACS.to_vec();
    let kind = number % 3;
    let protocol = if kind == 1 { 17 } else { 6 };
    let [high, low] = number.to_be_bytes();
    if kind < 2 {
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&[0x45, 0, 0, 60, 0, 0, 0, 0, 64, protocol, 0, 0, 10, 9, high, low, 10, 7, 0, 1]);
    } else {
        frame.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, 40, protocol, 64]);
        let mut source = [0u8; 16];
        source[0] = 0xfd;
        source[14] = high;
        source[15] = low;
        let mut destination = [0u8; 16];
        destination[0] = 0xfd;
        destination[15] = 1;
        frame.extend_from_slice(&source);
        frame.extend_from_slice(&destination);
    }
    let source_port = 1024u16.wrapping_add(number.wrapping_mul(7));
    frame.extend_from_slice(&source_port.to_be_bytes());
    frame.extend_from_slice(&443u16.to_be_bytes());
    frame.resize(frame.len() + if protocol == 6 { 16 } else { 4 }, 0);
    frame.extend_from_slice(&[phase, high, low]);
    frame.resize(frame.len() + 13, 0xa5);
    frame
}

impl Check {
    /// Checks one frame as a worker received it on receive queue `queue`.
    fn frame(&self, got: &Frame<'_>, queue: u16) {
        let packet = got.packet();
        let frame = got.frame();
        if packet.len() < got.header_size() + 14 || frame[..12] != MACS {
            self.foreign.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let ipv4 = frame[12] == 0x08;
        let (l3, l4) = (14, if ipv4 { 34 } else { 54 });
        let protocol = if ipv4 { frame[l3 + 9] } else { frame[l3 + 6] };
        let payload = l4 + if protocol == 6 { 20 } else { 8 };
        if got.header_size() != 20 || frame.len() < payload + 3 || frame[payload] > 1 {
            self.mismatches.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let phase = usize::from(frame[payload]);
        let width = if ipv4 { 4 } else { 16 };
        let addresses = l3 + if ipv4 { 12 } else { 8 };
        let mut tuple = frame[addresses..addresses + 2 * width].to_vec();
        tuple.extend_from_slice(&frame[l4..l4 + 4]);
        let expected = &self.phases[phase];
        let hash = toeplitz(&expected.key, &tuple);
        let expected_report = match (ipv4, protocol) {
            (true, 6) => report::TCPV4,
            (true, _) => report::UDPV4,
            _ => report::TCPV6,
        };
        let expected_queue = expected.table[hash as usize & (expected.table.len() - 1)] % QUEUES;

        // struct virtio_net_hdr_v1_hash: num_buffers at 10, hash_value at 12, hash_report at
        // 16, padding at 18, all little-endian.
        let header = got.header();
        let num_buffers = u16::from_le_bytes([header[10], header[11]]);
        let hash_value = u32::from_le_bytes([header[12], header[13], header[14], header[15]]);
        let hash_report = u16::from_le_bytes([header[16], header[17]]);
        let padding = u16::from_le_bytes([header[18], header[19]]);
        let right = queue == expected_queue
            && got.queue() == expected_queue
            && got.hash() == hash
            && got.report() == expected_report
            && num_buffers == 1
            && hash_value == hash
            && hash_report == expected_report
            && padding == 0;
        if !right && self.mismatches.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!(
                "frame {} of phase {phase}: queue {queue} (want {expected_queue}), hash {:08x}/{hash_value:08x} (want \
                 {hash:08x}), report {}/{hash_report} (want {expected_report})",
                u16::from_be_bytes([frame[payload + 1], frame[payload + 2]]),
                got.hash(),
                got.report()
            );
        }
        self.received[phase].fetch_add(1, Ordering::Relaxed);
        self.per_queue[usize::from(queue)].fetch_add(1, Ordering::Relaxed);
    }
}

/// One receive queue's worker: wait, then take what is there. Queue 0 copies frames into its
/// own buffers (receive_into), the others take them in place through a closure.
fn run_worker(mut receiver: QueueReceiver, check: Arc<Check>, stopping: Arc<AtomicBool>) -> vnet_rss::Result<()> {
    let queue = receiver.queue();
    let mut buffers = vec![0u8; 16 * 2048];
    let mut slots = [FrameSlot::default(); 16];
    while !stopping.load(Ordering::Acquire) {
        receiver.wait(Duration::from_millis(10))?;
        loop {
            let got = if queue == 0 {
                let frames = receiver.receive_into(&mut buffers, 2048, &mut slots)?;
                for frame in frames {
                    check.frame(frame, 0);
                }
                frames.len()
            } else {
                receiver.receive(64, |frame| check.frame(frame, queue))?
            };
            if got == 0 {
                break;
            }
        }
    }
    Ok(())
}

/// The guest's VIRTIO_NET_CTRL_MQ_RSS_CONFIG payload, little-endian, as a driver writes it.
fn rss_command(hash_types: HashTypes, table: &[u16], key: &[u8]) -> Vec<u8> {
    let mut out = hash_types.bits().to_le_bytes().to_vec();
    out.extend_from_slice(&(table.len() as u16 - 1).to_le_bytes()); // indirection_table_mask
    out.extend_from_slice(&0u16.to_le_bytes()); // unclassified_queue
    for entry in table {
        out.extend_from_slice(&entry.to_le_bytes());
    }
    out.extend_from_slice(&QUEUES.to_le_bytes()); // max_tx_vq
    out.push(key.len() as u8);
    out.extend_from_slice(key);
    out
}

fn send_phase(socket: &netns::PacketSocket, phase: u8) -> std::io::Result<()> {
    for number in 0..FRAMES_PER_PHASE as u16 {
        socket.send(&build_frame(phase, number), 10_000)?;
    }
    Ok(())
}

fn wait_for(check: &Check, phase: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while check.received[phase].load(Ordering::Relaxed) < FRAMES_PER_PHASE && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    check.received[phase].load(Ordering::Relaxed) == FRAMES_PER_PHASE
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    vnet_rss::abi_check()?;
    let second_key: [u8; 40] = std::array::from_fn(|i| (i * 37 + 11) as u8);

    // The tap, as a VMM opens it: one fd per queue.
    let taps = netns::open_tap_queues(TAP_NAME, usize::from(QUEUES))?;
    netns::disable_ipv6(TAP_NAME);
    netns::set_link_up(TAP_NAME)?;

    // What the device advertises, and the guest's first configuration (all types, spread).
    let limits = DeviceLimits::qemu(QUEUES);
    let first_table: Vec<u16> = (0..128).map(|i| i % QUEUES).collect();
    let fields = Fields {
        features: Features::RSS | Features::HASH_REPORT,
        hash_types: HashTypes::ALL,
        unclassified_queue: 0,
        max_tx_vq: QUEUES,
    };
    let config = Config::new(&fields, &first_table, &FIRST_KEY)?;
    config.validate(Validation::Virtio(limits))?;
    let check = Arc::new(Check {
        phases: [Phase { key: FIRST_KEY, table: first_table }, Phase { key: second_key, table: SECOND_TABLE.to_vec() }],
        received: Default::default(),
        foreign: AtomicU64::new(0),
        mismatches: AtomicU64::new(0),
        per_queue: (0..QUEUES).map(|_| AtomicU64::new(0)).collect(),
    });

    let mut engine = Engine::new(taps, &config, EngineOptions::default())?;
    drop(config);
    // Engine::new steers automatically: the kernel series' RSS, else the steering program (as
    // root, one tap queue per receive queue: here), else userspace. Who steers, and why.
    println!("vmm_backend (Rust): steering: {}", engine.steering()?);
    engine.start()?;
    let stopping = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = engine
        .receivers()?
        .into_iter()
        .map(|receiver| {
            let (check, stopping) = (Arc::clone(&check), Arc::clone(&stopping));
            thread::spawn(move || run_worker(receiver, check, stopping))
        })
        .collect();

    // The traffic: an AF_PACKET socket on the tap.
    let socket = netns::PacketSocket::bind(TAP_NAME)?;
    send_phase(&socket, 0)?;
    let first_complete = wait_for(&check, 0);

    // The guest's second RSS command, mid-run: decode, validate, add the negotiated hash
    // reporting (the command carries RSS only), apply.
    let command = rss_command(HashTypes::ALL, &SECOND_TABLE, &second_key);
    let decoded = Config::decode(Format::VirtioRss, Policy::Virtio, &command)?;
    decoded.validate(Validation::Virtio(limits))?;
    let update = decoded.with_features(Features::RSS | Features::HASH_REPORT)?;
    engine.apply(&update)?;

    send_phase(&socket, 1)?;
    let second_complete = wait_for(&check, 1);

    stopping.store(true, Ordering::Release);
    for worker in workers {
        worker.join().map_err(|_| "a worker panicked")??;
    }
    let statistics = engine.statistics()?;
    drop(engine); // destroys the engine, then closes the tap fds
    drop(socket);

    let received = [check.received[0].load(Ordering::Relaxed), check.received[1].load(Ordering::Relaxed)];
    let checked = received[0] + received[1];
    let mismatches = check.mismatches.load(Ordering::Relaxed);
    let foreign = check.foreign.load(Ordering::Relaxed);
    println!(
        "vmm_backend (Rust): {QUEUES} queues, {checked} frames checked ({} before the guest's new RSS command, {} after), \
         {mismatches} mismatched, {foreign} not ours",
        received[0], received[1]
    );
    let per_queue: Vec<String> = check.per_queue.iter().map(|q| q.load(Ordering::Relaxed).to_string()).collect();
    println!("  per receive queue: {}", per_queue.join(" "));
    println!(
        "  engine: {} read, {} delivered, {} dropped, {} redirected",
        statistics.frames_read, statistics.frames_delivered, statistics.frames_dropped, statistics.frames_redirected
    );
    Ok(first_complete
        && second_complete
        && mismatches == 0
        && statistics.frames_dropped == 0
        && statistics.frames_delivered == checked + foreign)
}

fn main() -> ExitCode {
    if !netns::is_root() {
        println!("vmm_backend: skipped (needs root, in a network namespace of its own: unshare --net)");
        return ExitCode::SUCCESS;
    }
    if !netns::in_private_namespace() {
        eprintln!(
            "vmm_backend: run it in a network namespace of its own (unshare --net); this one has interfaces besides lo"
        );
        return ExitCode::FAILURE;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("vmm_backend: {error}");
            ExitCode::FAILURE
        }
    }
}
