//! TapSteering on a real 4-queue tap, read the way a VMM reads it: each tap queue `readv`'d into
//! buffers split inside the vnet header, classified in place, and checked: the frame is on the
//! tap queue its receive queue names, bytes 12-19 of the header hold the decision's fields,
//! bytes 10-11 (num_buffers, the VMM's) are untouched, nothing is a stray. Then the same after
//! VQ_PAIRS_SET 2, decide and the batch form, and the bad input of Tests/abi/abi_test.c's
//! steerings() as typed errors.
//!
//! `tap_steering_on_a_real_tap` re-executes this test binary under `unshare --net` (a network
//! namespace of its own, where the tap is made and vanishes with the namespace) to run
//! `in_namespace`, and checks that it ran and passed. Not root, or no unshare: it prints that it
//! was skipped.

#[path = "netns/mod.rs"]
mod netns;

use std::ffi::c_int;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use vnet_rss::{
    report, sys, toeplitz, Config, Error, Features, Fields, GuestDecision, GuestFrame, HashTypes, QueueClassifier,
    Rule, Steerer, SteeringProgram, TapSteering, TapSteeringOptions, HASH_FIELDS_OFFSET, VNET_HEADER_SIZE,
};

const MARKER: &str = "VNET_RSS_GUEST_STEERING_TEST_IN_NAMESPACE";
const TAP: &str = "vrssgs0";
const QUEUES: usize = 4;
const TABLE: [u16; 8] = [0, 1, 2, 3, 3, 2, 1, 0];
const MACS: [u8; 12] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
/// What the VMM's "num_buffers" would be: written after readv, before classify, which must not
/// touch it.
const SENTINEL: [u8; 2] = [0x5a, 0xc3];
/// Where readv's buffers are cut: the header straddles four of them (bytes 10-11 across the
/// second and third, the hash fields 12-19 across the third and fourth), then the frame.
const CUTS: [usize; 4] = [7, 4, 6, 2048];
/// Bytes of readv's buffers: the header and the largest frame, and more.
const STORAGE: usize = 2048 + 17;
const EINVAL: i32 = 22;
const ERANGE: i32 = 34;
const EAGAIN: i32 = 11;

const KEY: [u8; 40] = netns::MICROSOFT_KEY;

extern "C" {
    fn readv(fd: c_int, iov: *const sys::iovec, iovcnt: c_int) -> isize;
}

#[test]
fn tap_steering_on_a_real_tap() {
    let Some(stdout) = netns::rerun_in_namespace("tap_steering_on_a_real_tap", MARKER) else { return };
    assert!(stdout.contains("guest steering: frames in place checked"), "the traffic checks did not finish");
    assert!(stdout.contains("guest steering: bad input checked"), "the bad-input checks did not finish");
}

fn config(table: &[u16]) -> Config {
    let fields = Fields {
        features: Features::RSS | Features::HASH_REPORT,
        hash_types: HashTypes::ALL,
        unclassified_queue: 0,
        max_tx_vq: QUEUES as u16,
    };
    Config::new(&fields, table, &KEY).unwrap()
}

/// Frame `number`: IPv4 and IPv6, TCP and UDP in turn, the number in the source address and
/// port; what the RSS input is (addresses, ports) and the report it must get.
struct TestFrame {
    bytes: Vec<u8>,
    tuple: Vec<u8>,
    report: u16,
}

fn test_frame(number: u16) -> TestFrame {
    let ipv6 = number % 4 >= 2;
    let tcp = number % 2 == 0;
    let protocol = if tcp { 6 } else { 17 };
    let (l3, l4) = (14, if ipv6 { 54 } else { 34 });
    let payload = l4 + if tcp { 20 } else { 8 };
    let length = (60 + usize::from(number % 7) * 100).max(payload + 2);
    let [high, low] = number.to_be_bytes();
    let mut bytes = vec![0xa5; length];
    bytes[..12].copy_from_slice(&MACS);
    let addresses = if ipv6 {
        bytes[12..14].copy_from_slice(&[0x86, 0xdd]);
        bytes[l3..l3 + 8].copy_from_slice(&[0x60, 0, 0, 0, 0, 0, protocol, 64]);
        bytes[l3 + 4..l3 + 6].copy_from_slice(&((length - l4) as u16).to_be_bytes());
        let mut addresses = [0u8; 32];
        addresses[0] = 0xfd;
        addresses[14..16].copy_from_slice(&[high, low]);
        addresses[16] = 0xfd;
        addresses[31] = 1;
        bytes[l3 + 8..l4].copy_from_slice(&addresses);
        addresses.to_vec()
    } else {
        bytes[12..14].copy_from_slice(&[0x08, 0x00]);
        bytes[l3..l3 + 12].copy_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0]);
        bytes[l3 + 2..l3 + 4].copy_from_slice(&((length - l3) as u16).to_be_bytes());
        let addresses = [10, 9, high, low, 10, 7, 0, 1];
        bytes[l3 + 12..l4].copy_from_slice(&addresses);
        addresses.to_vec()
    };
    let ports = [(3000 + number).to_be_bytes(), 443u16.to_be_bytes()].concat();
    bytes[l4..payload].fill(0);
    bytes[l4..l4 + 4].copy_from_slice(&ports);
    if tcp {
        bytes[l4 + 12] = 0x50; // data offset: 5 words, no options
    } else {
        bytes[l4 + 4..l4 + 6].copy_from_slice(&((length - l4) as u16).to_be_bytes());
    }
    bytes[payload..payload + 2].copy_from_slice(&number.to_be_bytes());
    let report = match (ipv6, tcp) {
        (false, true) => report::TCPV4,
        (false, false) => report::UDPV4,
        (true, true) => report::TCPV6,
        (true, false) => report::UDPV6,
    };
    TestFrame { bytes, tuple: [addresses, ports].concat(), report }
}

/// The frame number a received frame (after its header) carries, when it is one of ours.
fn frame_number(frame: &[u8]) -> Option<u16> {
    if frame.len() < 60 || frame[..12] != MACS {
        return None;
    }
    let (protocol, l4) = match frame[12..14] {
        [0x86, 0xdd] => (frame[14 + 6], 54),
        [0x08, 0x00] => (frame[14 + 9], 34),
        _ => return None,
    };
    let payload = l4 + if protocol == 6 { 20 } else { 8 };
    Some(u16::from_be_bytes([frame[payload], frame[payload + 1]]))
}

/// `storage` cut into consecutive buffers of the lengths `cuts` gives (the last takes the rest).
fn split<'a>(mut storage: &'a mut [u8], cuts: &[usize]) -> Vec<IoSliceMut<'a>> {
    let mut buffers = Vec::new();
    for (index, &cut) in cuts.iter().enumerate() {
        let cut = if index + 1 == cuts.len() { storage.len() } else { cut.min(storage.len()) };
        let (head, rest) = storage.split_at_mut(cut);
        buffers.push(IoSliceMut::new(head));
        storage = rest;
    }
    buffers
}

/// The first `length` bytes the buffers hold, gathered.
fn gather(buffers: &[IoSliceMut<'_>], length: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = buffers.iter().flat_map(|buffer| buffer.iter().copied()).collect();
    bytes.truncate(length);
    bytes
}

/// Writes `bytes` at byte `offset` of what the buffers hold, wherever that falls.
fn scatter(buffers: &mut [IoSliceMut<'_>], mut offset: usize, mut bytes: &[u8]) {
    for buffer in buffers.iter_mut() {
        if bytes.is_empty() {
            return;
        }
        if offset >= buffer.len() {
            offset -= buffer.len();
            continue;
        }
        let take = (buffer.len() - offset).min(bytes.len());
        buffer[offset..offset + take].copy_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        offset = 0;
    }
}

/// One readv from `fd` into `buffers`: the byte count, or None when the queue is empty.
fn read_frame(fd: &OwnedFd, buffers: &mut [IoSliceMut<'_>]) -> Option<usize> {
    // SAFETY: IoSliceMut is ABI compatible with struct iovec; `buffers` is borrowed mutably for
    // the call, and readv writes at most the bytes the elements hold.
    let read = unsafe { readv(fd.as_raw_fd(), buffers.as_ptr().cast(), buffers.len() as c_int) };
    if read < 0 {
        let error = std::io::Error::last_os_error();
        assert_eq!(error.raw_os_error(), Some(EAGAIN), "readv: {error}");
        return None;
    }
    Some(read as usize)
}

/// What the traffic checks count.
#[derive(Default, Debug)]
struct Tally {
    ours: usize,
    foreign: usize,
    per_queue: [usize; QUEUES],
    decided: usize,
}

/// Checks one frame as classify (or decide) left it in `buffers` after arriving on tap queue
/// `queue`, with `pairs` receive queues steered to.
fn check_frame(buffers: &[IoSliceMut<'_>], length: usize, decision: &GuestDecision, queue: u16, pairs: u16) -> bool {
    let packet = gather(buffers, length);
    let Some(number) = frame_number(&packet[VNET_HEADER_SIZE..]) else { return false };
    let sent = test_frame(number);
    assert_eq!(&packet[VNET_HEADER_SIZE..], &sent.bytes[..], "frame {number}: bytes as sent");
    let hash = toeplitz(&KEY, &sent.tuple).unwrap();
    let expected_queue = TABLE[hash as usize % TABLE.len()] % pairs;
    assert_eq!(decision.hash, hash, "frame {number}");
    assert_eq!(decision.report, sent.report, "frame {number}");
    assert_eq!(decision.queue, expected_queue, "frame {number}: RSS names queue {expected_queue}");
    assert_eq!(decision.queue, queue, "frame {number}: on the tap queue of its receive queue");
    assert!(!decision.stray, "frame {number}");
    let fields = decision.fields.expect("a 20-byte header has hash fields");
    assert_eq!(fields.offset, HASH_FIELDS_OFFSET);
    let mut expected = hash.to_le_bytes().to_vec();
    expected.extend_from_slice(&sent.report.to_le_bytes());
    expected.extend_from_slice(&[0, 0]);
    assert_eq!(&fields.bytes[..], &expected[..], "frame {number}: the fields");
    assert_eq!(packet[10..12], SENTINEL, "frame {number}: num_buffers is the VMM's");
    true
}

/// Reads tap queue `queue` until it is empty, classifying each frame in place (every third one
/// by decide, the fields then written here) and checking it.
fn drain_queue(classifier: &mut QueueClassifier<'_>, fd: &OwnedFd, pairs: u16, tally: &mut Tally) {
    let queue = classifier.arrival_queue();
    let mut storage = vec![0u8; STORAGE];
    for turn in 0.. {
        storage.fill(0xee);
        let mut buffers = split(&mut storage, &CUTS);
        let Some(length) = read_frame(fd, &mut buffers) else { return };
        scatter(&mut buffers, 10, &SENTINEL);
        let decision = if turn % 3 == 2 {
            let read = gather(&buffers, length);
            let decision = classifier.decide(&buffers, length, VNET_HEADER_SIZE).unwrap();
            assert_eq!(gather(&buffers, length), read, "decide writes nothing");
            let fields = decision.fields.expect("a 20-byte header has hash fields");
            scatter(&mut buffers, fields.offset, &fields.bytes);
            tally.decided += 1;
            decision
        } else {
            classifier.classify(&mut buffers, length, VNET_HEADER_SIZE).unwrap()
        };
        if check_frame(&buffers, length, &decision, queue, pairs) {
            tally.ours += 1;
            tally.per_queue[usize::from(queue)] += 1;
        } else {
            tally.foreign += 1;
        }
    }
}

/// Sends frames `numbers` into the tap, then reads the first `pairs` tap queues until they all
/// arrived (or 10 s).
fn send_and_check(
    socket: &netns::PacketSocket,
    classifiers: &mut [QueueClassifier<'_>],
    taps: &[OwnedFd],
    numbers: std::ops::Range<u16>,
    pairs: u16,
) -> Tally {
    for number in numbers.clone() {
        socket.send(&test_frame(number).bytes, 1000).unwrap();
    }
    let mut tally = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tally.ours < numbers.len() && Instant::now() < deadline {
        for (classifier, fd) in classifiers.iter_mut().zip(taps).take(usize::from(pairs)) {
            drain_queue(classifier, fd, pairs, &mut tally);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(tally.ours, numbers.len(), "{tally:?}");
    tally
}

/// Runs only inside the namespace `tap_steering_on_a_real_tap` makes (the marker says so).
#[test]
#[ignore = "run by tap_steering_on_a_real_tap inside unshare --net"]
fn in_namespace() {
    if std::env::var_os(MARKER).is_none() || !netns::in_private_namespace() {
        println!("in_namespace: not in the namespace tap_steering_on_a_real_tap makes; nothing done");
        return;
    }
    let taps = netns::open_nonblocking_tap_queues(TAP, QUEUES, VNET_HEADER_SIZE as c_int).unwrap();
    let config = config(&TABLE);
    // The program loaded here (root), as a manager would, and adopted: the VMM's way.
    let program = SteeringProgram::load().expect("vnet_rss_steering_program_load as root");
    let mut steering = TapSteering::new(&taps, &config, TapSteeringOptions::default(), Some(&program)).unwrap();
    drop(program); // the steering object keeps duplicates
    assert_eq!((steering.tap_queue_count(), steering.queue_count()), (4, 4));
    assert_eq!(steering.state().unwrap(), Steerer::Userspace, "nothing attached at creation");
    steering.attach().unwrap();
    assert_eq!(steering.state().unwrap(), Steerer::Program);

    netns::disable_ipv6(TAP);
    netns::set_link_up(TAP).unwrap();
    let socket = netns::PacketSocket::bind(TAP).unwrap();
    let mut classifiers = steering.classifiers().unwrap();

    // Four queue pairs: every frame on the tap queue its receive queue names.
    let four = send_and_check(&socket, &mut classifiers, &taps, 0..96, 4);
    assert!(four.per_queue.iter().all(|&n| n > 0), "the frames spread: {four:?}");
    assert!(four.decided > 0);
    let counters = steering.statistics().unwrap();
    assert_eq!(counters.len(), QUEUES);
    assert_eq!(counters.iter().map(|c| c.strays).sum::<u64>(), 0, "{counters:?}");
    assert_eq!(counters.iter().map(|c| c.unclassified).sum::<u64>(), 0, "{counters:?}");
    assert_eq!(counters.iter().map(|c| c.frames).sum::<u64>() as usize, four.ours + four.foreign, "{counters:?}");

    // VQ_PAIRS_SET 2: tap queues 2 and 3 detach (their threads stop first), the table is reduced
    // modulo 2, and every frame lands on tap queue 0 or 1, where RSS names it.
    steering.set_queue_pairs(2).unwrap();
    assert_eq!(steering.queue_count(), 2);
    let two = send_and_check(&socket, &mut classifiers, &taps, 96..160, 2);
    assert_eq!(two.per_queue[2] + two.per_queue[3], 0, "{two:?}");
    steering.set_queue_pairs(4).unwrap();
    let counters = steering.statistics().unwrap();
    assert_eq!(counters.iter().map(|c| c.strays).sum::<u64>(), 0, "{counters:?}");

    // The batch form: frames of one tap queue in one call, each checked as above.
    let batch = batch_checks(&socket, &mut classifiers, &taps);
    println!(
        "guest steering: frames in place checked ({} on 4 queue pairs, per queue {:?}, {} by decide; {} on 2; {batch} \
         in batches; 0 strays)",
        four.ours, four.per_queue, four.decided, two.ours
    );

    bad_input(&mut steering, &mut classifiers, &taps);
    drop(classifiers);
    drop(steering);
    drop(socket);
    println!("guest steering: bad input checked");
}

/// Sends 32 frames, reads each tap queue's into buffers of their own, and classifies each
/// queue's frames in one classify_batch call. Returns how many of ours the batches checked.
fn batch_checks(socket: &netns::PacketSocket, classifiers: &mut [QueueClassifier<'_>], taps: &[OwnedFd]) -> usize {
    const FRAMES: usize = 32;
    for number in 200..200 + FRAMES as u16 {
        socket.send(&test_frame(number).bytes, 1000).unwrap();
    }
    // Each frame read: its storage (cut as CUTS) and readv's byte count, per tap queue.
    let mut read: Vec<Vec<(Vec<u8>, usize)>> = vec![Vec::new(); QUEUES];
    let deadline = Instant::now() + Duration::from_secs(10);
    while read.iter().map(Vec::len).sum::<usize>() < FRAMES && Instant::now() < deadline {
        for (queue, fd) in taps.iter().enumerate() {
            loop {
                let mut storage = vec![0xee; STORAGE];
                let mut buffers = split(&mut storage, &CUTS);
                let Some(length) = read_frame(fd, &mut buffers) else { break };
                scatter(&mut buffers, 10, &SENTINEL);
                drop(buffers);
                read[queue].push((storage, length));
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut checked = 0;
    for (classifier, read) in classifiers.iter_mut().zip(&mut read) {
        let queue = classifier.arrival_queue();
        let lengths: Vec<usize> = read.iter().map(|(_, length)| *length).collect();
        let mut buffers: Vec<Vec<IoSliceMut<'_>>> = read.iter_mut().map(|(storage, _)| split(storage, &CUTS)).collect();
        let mut frames: Vec<GuestFrame<'_>> =
            buffers.iter_mut().zip(&lengths).map(|(frame, &length)| GuestFrame::new(frame, length)).collect();
        let mut decisions = vec![GuestDecision::default(); frames.len()];
        classifier.classify_batch(&mut frames, VNET_HEADER_SIZE, &mut decisions).unwrap();
        drop(frames);
        for ((frame, &length), decision) in buffers.iter().zip(&lengths).zip(&decisions) {
            checked += usize::from(check_frame(frame, length, decision, queue, 4));
        }
    }
    assert_eq!(checked, FRAMES);
    checked
}

/// Tests/abi/abi_test.c's steerings(), as the safe API spells each case.
fn bad_input(steering: &mut TapSteering<'_>, classifiers: &mut [QueueClassifier<'_>], taps: &[OwnedFd]) {
    let before = steering.statistics().unwrap();
    let frame = test_frame(7);
    let mut packet = packet_copy(&frame.bytes);
    let length = packet.len();
    let classifier = &mut classifiers[1];
    let mut buffers = split(&mut packet, &CUTS);

    // Header sizes other than 12 and 20: EINVAL. A length past the buffers: ERANGE. Nothing is
    // read or written, nothing counted.
    for header_size in [0, 10, 16, 24, usize::MAX] {
        assert_eq!(
            classifier.classify(&mut buffers, length, header_size),
            Err(Error::Os { function: "vnet_rss_steering_classify_iov", errno: EINVAL }),
            "header size {header_size}"
        );
    }
    assert_eq!(
        classifier.decide(&buffers, length, 16),
        Err(Error::Os { function: "vnet_rss_steering_decide_iov", errno: EINVAL })
    );
    for past in [length + 1, usize::MAX] {
        assert_eq!(
            classifier.classify(&mut buffers, past, VNET_HEADER_SIZE),
            Err(Error::Os { function: "vnet_rss_steering_classify_iov", errno: ERANGE }),
            "length {past}"
        );
    }
    // More buffers than readv takes (IOV_MAX): EINVAL.
    let mut spare = vec![0u8; 1025];
    let mut many: Vec<IoSliceMut<'_>> = spare.chunks_mut(1).map(IoSliceMut::new).collect();
    assert_eq!(
        classifier.classify(&mut many, 20, VNET_HEADER_SIZE),
        Err(Error::Os { function: "vnet_rss_steering_classify_iov", errno: EINVAL })
    );
    assert_eq!(gather(&buffers, length)[10..20], [0; 10], "refused: nothing written");

    // Arrival queues: one classifier per tap queue, none past the fds; the raw call with an
    // arrival queue past them is ERANGE.
    assert_eq!(steering.classifier(4).unwrap_err(), Error::QueueOutOfRange { queue: 4, queues: 4 });
    assert_eq!(steering.classifier(1).unwrap_err(), Error::ClassifierTaken { arrival_queue: 1 });
    let mut raw = sys::vnet_rss_guest_decision::default();
    // SAFETY: a live steering object; `buffers` are IoSliceMuts (iovec layout) over `packet`,
    // borrowed for the call; the library refuses the arrival queue before reading anything.
    let code = unsafe {
        sys::vnet_rss_steering_classify_iov(
            steering.as_ptr(),
            4,
            buffers.as_ptr().cast(),
            buffers.len() as c_int,
            length,
            VNET_HEADER_SIZE,
            &mut raw,
        )
    };
    assert_eq!(code, -ERANGE);
    assert_eq!(steering.statistics().unwrap(), before, "refusals are not counted");

    // A 12-byte header has no hash fields: decided, nothing written. Shorter than its header:
    // unclassified, untouched. No bytes at all: the same.
    let decision = classifier.classify(&mut buffers, length, 12).unwrap();
    assert_eq!(decision.fields, None);
    assert_eq!(gather(&buffers, length)[10..20], [0; 10]);
    let short = classifier.classify(&mut buffers, 19, VNET_HEADER_SIZE).unwrap();
    assert_eq!((short.report, short.fields), (report::NONE, None));
    assert_eq!(gather(&buffers, length)[10..20], [0; 10]);
    assert_eq!(classifier.classify(&mut [], 0, VNET_HEADER_SIZE).unwrap().report, report::NONE);

    // The batch stops at the refused frame and says how many were decided before it.
    let mut storage: Vec<Vec<u8>> = (0..3).map(|_| packet_copy(&frame.bytes)).collect();
    let mut split_frames: Vec<Vec<IoSliceMut<'_>>> = storage.iter_mut().map(|s| split(s, &CUTS)).collect();
    let lengths = [length, length + 1, length];
    let mut frames: Vec<GuestFrame<'_>> =
        split_frames.iter_mut().zip(lengths).map(|(frame, length)| GuestFrame::new(frame, length)).collect();
    let mut decisions = [GuestDecision::default(); 3];
    let stopped = classifier.classify_batch(&mut frames, VNET_HEADER_SIZE, &mut decisions).unwrap_err();
    assert_eq!(stopped.decided, 1);
    assert_eq!(stopped.error, Error::Os { function: "vnet_rss_steering_classify_iov_batch", errno: ERANGE });
    assert_eq!(Error::from(stopped.clone()).errno(), -ERANGE);
    assert!(decisions[0].fields.is_some() && decisions[1] == GuestDecision::default());
    let stopped = classifier.classify_batch(&mut frames, VNET_HEADER_SIZE, &mut decisions[..2]).unwrap_err();
    assert_eq!((stopped.decided, stopped.error), (0, Error::BufferTooSmall { needed: 3, capacity: 2 }));
    classifier.classify_batch(&mut [], VNET_HEADER_SIZE, &mut []).unwrap();
    drop(frames);

    // Control calls: queue pairs 0 or past the fds, a configuration that cannot be prepared,
    // detach and attach.
    for pairs in [0, 5] {
        assert_eq!(
            steering.set_queue_pairs(pairs),
            Err(Error::Os { function: "vnet_rss_steering_set_queue_pairs", errno: ERANGE })
        );
    }
    assert_eq!(steering.queue_count(), 4);
    let no_table =
        Config::new(&Fields { features: Features::RSS, hash_types: HashTypes::ALL, ..Fields::default() }, &[], &KEY)
            .unwrap();
    match steering.apply(&no_table) {
        Err(Error::Refused { rule: Rule::BelowMinimum, .. }) => {}
        other => panic!("{other:?}"),
    }
    steering.detach().unwrap();
    assert_eq!(steering.state().unwrap(), Steerer::Userspace);
    steering.attach().unwrap();
    assert_eq!(steering.state().unwrap(), Steerer::Program);

    // Creation: more receive queues than fds, an fd that is no tap.
    let options = TapSteeringOptions { queue_count: 5, ..TapSteeringOptions::default() };
    assert_eq!(
        TapSteering::new(taps, &config(&TABLE), options, None).unwrap_err(),
        Error::Os { function: "vnet_rss_steering_create", errno: ERANGE }
    );
    let null = [std::fs::File::open("/dev/null").unwrap()];
    match TapSteering::new(&null, &config(&TABLE), TapSteeringOptions::default(), None) {
        Err(Error::Os { function: "vnet_rss_steering_create", errno }) => assert!(errno > 0),
        other => panic!("/dev/null as a tap: {other:?}"),
    };
}

/// A 20-byte header of zeros, then `frame`.
fn packet_copy(frame: &[u8]) -> Vec<u8> {
    let mut packet = vec![0u8; VNET_HEADER_SIZE];
    packet.extend_from_slice(frame);
    packet
}
