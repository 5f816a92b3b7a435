//! The engine on a real multi-queue tap: Tests/abi/abi_test.c's engines() as typed errors, a
//! panic in a receive closure, frames received after stop, and receivers used after the engine
//! was dropped.
//!
//! `engine_on_a_real_tap` re-executes this test binary under `unshare --net` (a network
//! namespace of its own, where the tap is made and vanishes with the namespace) to run
//! `in_namespace`, and checks that it ran and passed. Not root, or no unshare: it prints that
//! it was skipped.

#[path = "netns/mod.rs"]
mod netns;

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use vnet_rss::{
    kernel_capability, toeplitz, Config, Engine, EngineOptions, Error, Features, Fields, FrameSlot, HashTypes, Rule,
    Steerer, Steering, SteeringProgram,
};

const MARKER: &str = "VNET_RSS_TAP_TEST_IN_NAMESPACE";
const TAP: &str = "vrssrt0";
/// The tap of the steering-program checks (made after the first one is gone).
const STEERED_TAP: &str = "vrssrt1";
/// What the library answers for program descriptors that are not a steering program's (the
/// kernel's EINVAL for a descriptor that is no BPF object).
const NOT_A_PROGRAM_ERRNO: i32 = 22;

const KEY: [u8; 40] = netns::MICROSOFT_KEY;

#[test]
fn engine_on_a_real_tap() {
    let Some(stdout) = netns::rerun_in_namespace("engine_on_a_real_tap", MARKER) else { return };
    assert!(stdout.contains("tap: all engine checks passed"), "the namespace half did not finish");
    assert!(stdout.contains("tap: steering checks passed"), "the steering checks did not finish");
}

fn config() -> Config {
    let fields = Fields {
        features: Features::RSS | Features::HASH_REPORT,
        hash_types: HashTypes::ALL,
        unclassified_queue: 0,
        max_tx_vq: 1,
    };
    Config::new(&fields, &[0, 1, 2, 3], &KEY).unwrap()
}

fn taps(count: usize) -> Vec<OwnedFd> {
    netns::open_tap_queues(TAP, count).expect("a tap in the namespace")
}

fn ipv4_udp_frame(number: u16) -> Vec<u8> {
    let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    frame.extend_from_slice(&[
        0x45,
        0,
        0,
        32,
        0,
        0,
        0,
        0,
        64,
        17,
        0,
        0,
        10,
        9,
        (number >> 8) as u8,
        number as u8,
        10,
        7,
        0,
        1,
    ]);
    frame.extend_from_slice(&(2000 + number).to_be_bytes());
    frame.extend_from_slice(&53u16.to_be_bytes());
    frame.extend_from_slice(&[0, 12, 0, 0, 0xa5, 0xa5, 0xa5, 0xa5]);
    frame
}

/// Runs only inside the namespace `engine_on_a_real_tap` makes (the marker variable says so).
#[test]
#[ignore = "run by engine_on_a_real_tap inside unshare --net"]
fn in_namespace() {
    if std::env::var_os(MARKER).is_none() || !netns::in_private_namespace() {
        println!("in_namespace: not in the namespace engine_on_a_real_tap makes; nothing done");
        return;
    }
    let config = config();

    // engine creation: no fds, too many, a descriptor that is not a tap, bad options.
    assert_eq!(Engine::new(Vec::new(), &config, EngineOptions::default()).unwrap_err().errno(), -22);
    let one = taps(1).pop().unwrap();
    let many: Vec<OwnedFd> = (0..65).map(|_| one.try_clone().unwrap()).collect();
    assert_eq!(Engine::new(many, &config, EngineOptions::default()).unwrap_err().errno(), -22);
    drop(one);
    let not_a_tap = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
    match Engine::new(vec![not_a_tap], &config, EngineOptions::default()) {
        Err(Error::Os { function: "vnet_rss_engine_create", errno }) => assert!(errno > 0),
        other => panic!("not a tap: {other:?}"),
    }
    let options = EngineOptions { receive_queues: 65, ..EngineOptions::default() };
    assert_eq!(Engine::new(taps(2), &config, options).unwrap_err().errno(), -22);
    let options = EngineOptions { receive_queues: 4, buffer_size: 10, ..EngineOptions::default() };
    assert_eq!(Engine::new(taps(2), &config, options).unwrap_err().errno(), -22);

    // A good engine: two tap queues steered to four receive queues.
    let options = EngineOptions { receive_queues: 4, ..EngineOptions::default() };
    let mut engine = Engine::new(taps(2), &config, options).unwrap();
    assert_eq!(engine.queue_count(), 4);
    // Four receive queues over two tap queues is more than the program can steer to: the
    // automatic choice (vnet_rss_engine_create) settled on userspace and says why.
    let steering = engine.steering().unwrap();
    assert_eq!(steering.steerer, Steerer::Userspace, "{steering}");
    assert!(steering.reason.contains("automatic") && steering.reason.contains("tap queues"), "{steering}");
    assert_eq!(engine.taps().count(), 2);
    engine.start().unwrap();

    // receivers: one per queue, none past the engine's.
    assert_eq!(engine.receiver(4).unwrap_err(), Error::QueueOutOfRange { queue: 4, queues: 4 });
    let mut receivers = engine.receivers().unwrap();
    assert_eq!(engine.receiver(0).unwrap_err(), Error::ReceiverTaken { queue: 0 });
    assert_eq!(receivers[3].receive(8, |_| panic!("no frame expected")).unwrap(), 0);

    // receive_into: buffers below the engine's size, no slots, nothing waiting.
    let mut buffers = vec![0u8; 2 * 2048];
    let mut slots = [FrameSlot::default(); 2];
    assert_eq!(
        receivers[0].receive_into(&mut buffers[..200], 100, &mut slots).unwrap_err(),
        Error::BufferTooSmall { needed: 2048, capacity: 100 }
    );
    assert_eq!(receivers[0].receive_into(&mut buffers, 2048, &mut []).unwrap().len(), 0);
    assert_eq!(receivers[0].receive_into(&mut buffers, 2048, &mut slots).unwrap().len(), 0);
    assert!(!receivers[1].wait(Duration::ZERO).unwrap());

    // apply: RSS without a table is refused with its rule; the old configuration stays.
    let no_table =
        Config::new(&Fields { features: Features::RSS, hash_types: HashTypes::ALL, ..Fields::default() }, &[], &KEY)
            .unwrap();
    match engine.apply(&no_table) {
        Err(Error::Refused { rule: Rule::BelowMinimum, .. }) => {}
        other => panic!("{other:?}"),
    }
    engine.apply(&config).unwrap();

    // set_tap_queue: past the tap's queues, detach and attach.
    assert_eq!(engine.set_tap_queue(2, false).unwrap_err(), Error::QueueOutOfRange { queue: 2, queues: 2 });
    engine.set_tap_queue(1, false).unwrap();
    engine.set_tap_queue(1, true).unwrap();

    // kernel capability: answered, or a kernel without the series (EINVAL, ENOTTY).
    match kernel_capability(engine.taps().next().unwrap()) {
        Ok(_) => {}
        Err(Error::Os { errno, .. }) => assert!(errno == 22 || errno == 25, "errno {errno}"),
        Err(other) => panic!("{other:?}"),
    }

    // Traffic: 64 UDP frames into the tap; each arrives once, on its queue, hashed.
    netns::disable_ipv6(TAP);
    netns::set_link_up(TAP).unwrap();
    let socket = netns::PacketSocket::bind(TAP).unwrap();
    for number in 0..64 {
        socket.send(&ipv4_udp_frame(number), 1000).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.statistics().unwrap().frames_delivered < 64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let statistics = engine.statistics().unwrap();
    assert!(statistics.frames_delivered >= 64, "{statistics:?}");
    assert_eq!(statistics.frames_dropped, 0);
    assert_eq!(statistics.delivered.iter().sum::<u64>(), statistics.frames_delivered);

    // A panic in the closure is caught inside the C callback and resumes here, once the library
    // has returned; the frame of that call (limit 1) is lost, the engine stays usable.
    let busy = statistics.delivered.iter().position(|&d| d > 0).unwrap();
    assert!(receivers[busy].wait(Duration::from_millis(100)).unwrap());
    std::panic::set_hook(Box::new(|_| {})); // the panic is expected: no message for it
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        receivers[busy].receive(1, |_| panic!("a consumer's panic")).unwrap()
    }));
    drop(std::panic::take_hook());
    let payload = outcome.expect_err("the panic resumes in the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"a consumer's panic"));

    // Everything else arrives once, on the queue it was steered to, with its header written.
    let (mut ours, mut foreign) = (0u64, 0u64);
    loop {
        let mut got = 0;
        for receiver in receivers.iter_mut() {
            let queue = receiver.queue();
            got += receiver
                .receive(usize::MAX, |frame| {
                    assert_eq!(frame.queue(), queue);
                    if frame.frame().get(..12) != Some(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2][..]) {
                        foreign += 1;
                        return;
                    }
                    ours += 1;
                    assert_eq!(frame.header_size(), vnet_rss::VNET_HEADER_SIZE);
                    assert_eq!(frame.report(), vnet_rss::report::UDPV4);
                    let header = frame.header();
                    assert_eq!(u16::from_le_bytes([header[10], header[11]]), 1);
                    assert_eq!(u32::from_le_bytes([header[12], header[13], header[14], header[15]]), frame.hash());
                    assert_eq!(u16::from_le_bytes([header[16], header[17]]), vnet_rss::report::UDPV4);
                })
                .unwrap();
        }
        if got == 0 {
            break;
        }
    }
    let received = ours;
    assert_eq!(ours + foreign + 1, statistics.frames_delivered, "{statistics:?}");
    assert!((63..=64).contains(&ours), "{ours} of our 64 frames");

    // After stop: the receivers still work (frames already handed over stay receivable).
    engine.stop().unwrap();
    engine.stop().unwrap();
    assert_eq!(receivers[1].receive(8, |_| {}).unwrap(), 0);
    assert!(!receivers[1].wait(Duration::ZERO).unwrap());

    // After the engine is dropped: typed errors, no use of a freed handle.
    drop(engine);
    assert_eq!(receivers[0].receive(8, |_| {}).unwrap_err(), Error::EngineClosed);
    assert_eq!(receivers[0].wait(Duration::ZERO).unwrap_err(), Error::EngineClosed);
    assert_eq!(receivers[0].receive_into(&mut buffers, 2048, &mut slots).unwrap_err(), Error::EngineClosed);
    drop(receivers); // the last reference: the library's engine is destroyed, then the fds closed
    println!(
        "tap: all engine checks passed ({received} of 64 frames received, {foreign} not ours, 1 dropped by the panic)"
    );

    steering_checks(&config);
}

/// The frame `ipv4_udp_frame(number)` carries as its RSS input: source and destination
/// address, source and destination port.
fn ipv4_udp_tuple(number: u16) -> [u8; 12] {
    let [high, low] = number.to_be_bytes();
    let [sport_high, sport_low] = (2000 + number).to_be_bytes();
    [10, 9, high, low, 10, 7, 0, 1, sport_high, sport_low, 0, 53]
}

/// vnet_rss_engine_create_steered, vnet_rss_engine_steering and vnet_rss_steering_program_load:
/// bad input as typed errors, then the steering program, loaded here and adopted as a VMM
/// adopts a manager's descriptors, on a 4-queue tap with traffic.
fn steering_checks(config: &Config) {
    // A steering number that names no mode: the enum cannot spell one (the C ABI's refusal of
    // one is in tests/api.rs, which needs no tap).
    assert_eq!(Steering::from_raw(4), None);

    // The kernel series' RSS: EOPNOTSUPP on a kernel without it.
    let kernel = Engine::with_steering(taps(2), config, EngineOptions::default(), Steering::Kernel, None);
    let probe = taps(1).pop().unwrap();
    match kernel_capability(std::os::fd::AsFd::as_fd(&probe)) {
        Err(Error::Os { errno, .. }) if errno == 22 || errno == 25 => assert_eq!(
            kernel.unwrap_err(),
            Error::Os { function: "vnet_rss_engine_create_steered", errno: 95 },
            "Steering::Kernel without the kernel series"
        ),
        Ok(_) => {
            // A kernel with the series: the engine steers there, or says it cannot here.
            match kernel {
                Ok(engine) => assert_eq!(engine.steering().unwrap().steerer, Steerer::Kernel),
                Err(error) => assert_eq!(error.errno(), -95, "{error}"),
            }
        }
        Err(other) => panic!("kernel capability: {other:?}"),
    }
    drop(probe);

    // Userspace, asked for: in force.
    let engine = Engine::with_steering(taps(2), config, EngineOptions::default(), Steering::Userspace, None).unwrap();
    let steering = engine.steering().unwrap();
    assert_eq!(steering.steerer, Steerer::Userspace, "{steering}");
    assert!(!steering.reason.is_empty());
    drop(engine);

    // Program descriptors that are not a steering program's maps: the tap fds themselves.
    let not_program = taps(2);
    let fake = SteeringProgram::from_fds(std::array::from_fn(|i| not_program[i % 2].try_clone().unwrap()));
    let refused = Engine::with_steering(taps(2), config, EngineOptions::default(), Steering::Program, Some(&fake));
    match refused {
        Err(Error::Os { function: "vnet_rss_engine_create_steered", errno }) => {
            assert_eq!(errno, NOT_A_PROGRAM_ERRNO, "tap fds as program fds")
        }
        other => panic!("tap fds as program fds: {other:?}"),
    }
    drop((fake, not_program));

    // The program, loaded here (what a privileged manager does), adopted as a VMM adopts the
    // descriptors it received (duplicates; the manager closes its own).
    let manager = SteeringProgram::load().expect("vnet_rss_steering_program_load as root");
    let raw = manager.as_raw_fds();
    assert!(raw.iter().all(|&fd| fd > 2), "{raw:?}");
    assert!((1..raw.len()).all(|i| !raw[..i].contains(&raw[i])), "four distinct descriptors: {raw:?}");
    let program = SteeringProgram::from_fds(manager.as_fds().map(|fd| fd.try_clone_to_owned().unwrap()));
    drop(manager);

    // More receive queues than tap queues: the program cannot steer there.
    let options = EngineOptions { receive_queues: 4, ..EngineOptions::default() };
    assert_eq!(
        Engine::with_steering(taps(2), config, options, Steering::Program, Some(&program)).unwrap_err(),
        Error::Os { function: "vnet_rss_engine_create_steered", errno: 22 }
    );

    // Four tap queues, four receive queues, the adopted program. The engine keeps duplicates:
    // the VMM's copies may go at once.
    let tap_fds = netns::open_tap_queues(STEERED_TAP, 4).expect("the steered tap");
    let mut engine =
        Engine::with_steering(tap_fds, config, EngineOptions::default(), Steering::Program, Some(&program)).unwrap();
    drop(program);
    assert_eq!(engine.queue_count(), 4);
    let steering = engine.steering().unwrap();
    assert_eq!(steering.steerer, Steerer::Program, "{steering}");
    assert!(steering.reason.contains("adopted"), "{steering}");
    engine.start().unwrap();
    assert_eq!(engine.steering().unwrap().steerer, Steerer::Program);

    netns::disable_ipv6(STEERED_TAP);
    netns::set_link_up(STEERED_TAP).unwrap();
    let socket = netns::PacketSocket::bind(STEERED_TAP).unwrap();
    for number in 0..64 {
        socket.send(&ipv4_udp_frame(number), 1000).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while engine.statistics().unwrap().frames_delivered < 64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }

    // Each frame on the tap queue of its receive queue, which is the one the configuration
    // names for its hash; nothing redirected.
    let table = [0u16, 1, 2, 3];
    let mut receivers = engine.receivers().unwrap();
    let (mut ours, mut foreign, mut wrong) = (0u64, 0u64, Vec::new());
    let mut per_queue = [0u64; 4];
    loop {
        let mut got = 0;
        for receiver in receivers.iter_mut() {
            let queue = receiver.queue();
            got += receiver
                .receive(usize::MAX, |frame| {
                    if frame.tap_queue() != frame.queue() || frame.queue() != queue {
                        wrong.push((frame.tap_queue(), frame.queue(), queue));
                    }
                    let bytes = frame.frame();
                    if bytes.get(..12) != Some(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2][..]) || bytes.len() < 42 {
                        foreign += 1;
                        return;
                    }
                    let number = u16::from_be_bytes([bytes[28], bytes[29]]);
                    let hash = toeplitz(&KEY, &ipv4_udp_tuple(number)).unwrap();
                    assert_eq!(frame.hash(), hash, "frame {number}");
                    assert_eq!(frame.report(), vnet_rss::report::UDPV4, "frame {number}");
                    assert_eq!(frame.queue(), table[hash as usize & 3], "frame {number}");
                    ours += 1;
                    per_queue[usize::from(queue)] += 1;
                })
                .unwrap();
        }
        if got == 0 {
            break;
        }
    }
    let statistics = engine.statistics().unwrap();
    assert_eq!(wrong, Vec::new(), "(tap queue, receive queue, receiver) of frames off their tap queue");
    assert_eq!(ours, 64, "{statistics:?}");
    assert_eq!(statistics.frames_redirected, 0, "{statistics:?}");
    assert_eq!(statistics.frames_dropped, 0, "{statistics:?}");
    assert_eq!(statistics.frames_delivered, ours + foreign, "{statistics:?}");
    assert!(per_queue.iter().filter(|&&n| n > 0).count() >= 2, "the frames spread: {per_queue:?}");

    engine.stop().unwrap();
    drop(receivers);
    drop(engine);
    drop(socket);
    println!(
        "tap: steering checks passed (64 frames on their receive queue's tap queue, per queue {per_queue:?}, \
         {foreign} not ours, 0 redirected)"
    );
}
