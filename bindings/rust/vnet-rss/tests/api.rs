//! The safe API without a tap: Toeplitz against the Microsoft RSS verification suite,
//! configurations against Fixtures/vectors/configurations.json, classifiers and batches on
//! frames built here, and the bad-input matrix of Tests/abi/abi_test.c as typed errors.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use vnet_rss::{
    report, toeplitz, Batch, Classifier, Config, Decision, DeviceLimits, Error, ExtensionHeaderRule, Features, Fields,
    Format, HashTypes, Packet, Policy, Rule, Validation, VNET_HEADER_SIZE,
};

const MICROSOFT_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
    0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
    0x01, 0xfa,
];

// ---- A small JSON reader for the fixtures (no third-party crates) ----------------------------

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl Json {
    fn parse(text: &str) -> Json {
        let mut parser = Parser { bytes: text.as_bytes(), at: 0 };
        let value = parser.value();
        parser.space();
        assert_eq!(parser.at, text.len(), "trailing text in JSON");
        value
    }
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(map) => map.get(key),
            _ => None,
        }
    }
    fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Json::String(s)) => s,
            other => panic!("{key}: not a string: {other:?}"),
        }
    }
    fn number(&self, key: &str) -> u64 {
        match self.get(key) {
            Some(Json::Number(n)) => *n as u64,
            other => panic!("{key}: not a number: {other:?}"),
        }
    }
    fn array(&self, key: &str) -> &[Json] {
        match self.get(key) {
            Some(Json::Array(items)) => items,
            other => panic!("{key}: not an array: {other:?}"),
        }
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }
    fn expect(&mut self, byte: u8) {
        self.space();
        assert_eq!(self.bytes[self.at], byte, "JSON: expected {:?} at {}", byte as char, self.at);
        self.at += 1;
    }
    fn value(&mut self) -> Json {
        self.space();
        match self.bytes[self.at] {
            b'{' => {
                self.at += 1;
                let mut map = BTreeMap::new();
                self.space();
                if self.bytes[self.at] == b'}' {
                    self.at += 1;
                    return Json::Object(map);
                }
                loop {
                    self.space();
                    let Json::String(key) = self.value() else { panic!("JSON: key") };
                    self.expect(b':');
                    map.insert(key, self.value());
                    self.space();
                    self.at += 1;
                    if self.bytes[self.at - 1] == b'}' {
                        return Json::Object(map);
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.bytes[self.at] == b']' {
                    self.at += 1;
                    return Json::Array(items);
                }
                loop {
                    items.push(self.value());
                    self.space();
                    self.at += 1;
                    if self.bytes[self.at - 1] == b']' {
                        return Json::Array(items);
                    }
                }
            }
            b'"' => {
                self.at += 1;
                let mut out = String::new();
                loop {
                    let byte = self.bytes[self.at];
                    self.at += 1;
                    match byte {
                        b'"' => return Json::String(out),
                        b'\\' => {
                            let escape = self.bytes[self.at];
                            self.at += 1;
                            match escape {
                                b'u' => {
                                    let hex = std::str::from_utf8(&self.bytes[self.at..self.at + 4]).unwrap();
                                    out.push(char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap_or('?'));
                                    self.at += 4;
                                }
                                b'n' => out.push('\n'),
                                b't' => out.push('\t'),
                                other => out.push(other as char),
                            }
                        }
                        _ => {
                            let start = self.at - 1;
                            let width = match byte {
                                0..=0x7f => 1,
                                0xc0..=0xdf => 2,
                                0xe0..=0xef => 3,
                                _ => 4,
                            };
                            out.push_str(std::str::from_utf8(&self.bytes[start..start + width]).unwrap());
                            self.at = start + width;
                        }
                    }
                }
            }
            b't' => {
                self.at += 4;
                Json::Bool(true)
            }
            b'f' => {
                self.at += 5;
                Json::Bool(false)
            }
            b'n' => {
                self.at += 4;
                Json::Null
            }
            _ => {
                let start = self.at;
                while self.at < self.bytes.len() && b"+-.eE0123456789".contains(&self.bytes[self.at]) {
                    self.at += 1;
                }
                Json::Number(std::str::from_utf8(&self.bytes[start..self.at]).unwrap().parse().unwrap())
            }
        }
    }
}

fn fixture(name: &str) -> Json {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../Fixtures/vectors").join(name);
    Json::parse(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn ip_bytes(address: &str) -> Vec<u8> {
    match address.parse::<IpAddr>().unwrap() {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

// ---- Toeplitz ------------------------------------------------------------------------------------

/// The Microsoft RSS verification suite ("Verifying the RSS Hash Calculation",
/// windows-driver-docs; the Intel 82599 datasheet §7.1.2.8.3, as DPDK's test_thash.c has it),
/// from Fixtures/vectors/microsoft-rss-verification.json: 16 vectors, IPv4 and IPv6, with and
/// without ports.
#[test]
fn toeplitz_matches_the_microsoft_verification_suite() {
    let suite = fixture("microsoft-rss-verification.json");
    assert_eq!(hex(suite.str("key")), MICROSOFT_KEY);
    let cases = suite.array("cases");
    assert_eq!(cases.len(), 16);
    for case in cases {
        let mut input = ip_bytes(case.str("src_ip"));
        input.extend(ip_bytes(case.str("dst_ip")));
        if case.get("src_port").is_some() {
            input.extend((case.number("src_port") as u16).to_be_bytes());
            input.extend((case.number("dst_port") as u16).to_be_bytes());
        }
        let expected = u32::from_str_radix(case.str("hash").trim_start_matches("0x"), 16).unwrap();
        assert_eq!(toeplitz(&MICROSOFT_KEY, &input).unwrap(), expected, "{}", case.str("name"));
    }
    // The first vector spelled out: 66.9.149.187:2794 -> 161.142.100.80:1766.
    let tuple = [66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6];
    assert_eq!(toeplitz(&MICROSOFT_KEY, &tuple).unwrap(), 0x51cc_c178);
}

#[test]
fn toeplitz_refuses_inputs_the_key_cannot_cover() {
    let tuple = [0u8; 12];
    assert_eq!(toeplitz(&MICROSOFT_KEY[..12], &tuple), Err(Error::Os { function: "vnet_rss_toeplitz", errno: 34 }));
    assert_eq!(toeplitz(&MICROSOFT_KEY, &[0u8; 37]), Err(Error::Os { function: "vnet_rss_toeplitz", errno: 22 }));
    assert_eq!(toeplitz(&MICROSOFT_KEY, &[0u8; 37]).unwrap_err().errno(), -22);
    assert_eq!(toeplitz(&MICROSOFT_KEY, &[]).unwrap(), 0);
}

// ---- Configurations ---------------------------------------------------------------------------

fn format_named(name: &str) -> Format {
    match name {
        "virtio-rss" => Format::VirtioRss,
        "virtio-hash" => Format::VirtioHash,
        "compound" => Format::TunVnetHash,
        "v12" => Format::TunVnetRss,
        other => panic!("unknown format {other}"),
    }
}

fn rule_named(name: &str) -> Rule {
    match name {
        "truncated" => Rule::Truncated,
        "trailingBytes" => Rule::TrailingBytes,
        "reservedNotZero" => Rule::ReservedNotZero,
        "notPowerOfTwo" => Rule::NotPowerOfTwo,
        "aboveMaximum" => Rule::AboveMaximum,
        "belowMinimum" => Rule::BelowMinimum,
        "unsupportedBits" => Rule::UnsupportedBits,
        other => panic!("unknown rule {other}"),
    }
}

/// Every case of Fixtures/vectors/configurations.json (vnet-rss SPEC A1/A2, QEMU's
/// virtio_net_handle_rss rules): decoded and validated under its policy, a refusal with its
/// exact rule, field, value and limit, an acceptance re-encoded byte for byte (virtio policy).
#[test]
fn configurations_match_the_fixture_file() {
    let file = fixture("configurations.json");
    let cases = file.array("cases");
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let (mut accepted, mut refused) = (0, 0);
    for case in cases {
        let name = case.str("name");
        let format = format_named(case.str("format"));
        let virtio = case.str("policy") == "virtio";
        let policy = if virtio { Policy::Virtio } else { Policy::Kernel };
        let validation = if virtio {
            Validation::Virtio(DeviceLimits::qemu(case.number("queue_pairs") as u16))
        } else {
            Validation::Kernel
        };
        let blob = hex(case.str("blob"));
        let outcome =
            Config::decode(format, policy, &blob).and_then(|config| config.validate(validation).map(|()| config));
        match (case.get("error"), outcome) {
            (None, Ok(config)) => {
                accepted += 1;
                if virtio {
                    assert_eq!(config.encode(format).unwrap(), blob, "{name}: re-encoded");
                }
            }
            (Some(expected), Err(Error::Refused { rule, field, value, limit, virtio_ack, kernel_errno, message })) => {
                refused += 1;
                assert_eq!(rule, rule_named(expected.str("rule")), "{name}");
                assert_eq!(field, expected.str("field"), "{name}");
                assert_eq!(value, expected.number("value"), "{name}");
                assert_eq!(limit, expected.number("limit"), "{name}");
                assert_eq!(virtio_ack, 1, "{name}: VIRTIO_NET_ERR");
                assert_eq!(kernel_errno, if rule == Rule::Truncated { 14 } else { 22 }, "{name}: EFAULT or EINVAL");
                assert!(!message.is_empty(), "{name}");
            }
            (expected, got) => panic!("{name}: expected {expected:?}, got {got:?}"),
        }
    }
    assert_eq!((accepted, refused), (11, 29));
}

fn good_config() -> Config {
    let fields = Fields {
        features: Features::RSS | Features::HASH_REPORT,
        hash_types: HashTypes::ALL,
        unclassified_queue: 0,
        max_tx_vq: 1,
    };
    Config::new(&fields, &[0, 1, 2, 3], &MICROSOFT_KEY).unwrap()
}

#[test]
fn configurations_from_fields_round_trip() {
    let config = good_config();
    let parts = config.parts().unwrap();
    assert_eq!(parts.fields.features, Features::RSS | Features::HASH_REPORT);
    assert_eq!(parts.fields.hash_types, HashTypes::ALL);
    assert_eq!(parts.fields.max_tx_vq, 1);
    assert_eq!(parts.table, [0, 1, 2, 3]);
    assert_eq!(parts.key, MICROSOFT_KEY);
    assert_eq!(config.fields().unwrap(), parts.fields);

    // encode: a short buffer reports the size needed and writes nothing; the exact size fits.
    let mut buffer = [0xeeu8; 10];
    let needed = 4 + 2 + 2 + 8 + 2 + 1 + 40;
    assert_eq!(config.encode_into(Format::VirtioRss, &mut buffer), Err(Error::BufferTooSmall { needed, capacity: 10 }));
    assert_eq!(buffer, [0xee; 10]);
    let mut exact = vec![0u8; needed];
    assert_eq!(config.encode_into(Format::VirtioRss, &mut exact), Ok(needed));
    assert_eq!(config.encode(Format::VirtioRss).unwrap(), exact);
    assert_eq!(&exact[..8], [0xff, 0x01, 0, 0, 3, 0, 0, 0]); // hash_types, mask 3, unclassified 0

    // The encoding decodes back; one byte more is refused under the virtio policy.
    let decoded = Config::decode(Format::VirtioRss, Policy::Virtio, &exact).unwrap();
    assert_eq!(decoded.parts().unwrap().table, [0, 1, 2, 3]);
    exact.push(0);
    match Config::decode(Format::VirtioRss, Policy::Virtio, &exact) {
        Err(Error::Refused { rule: Rule::TrailingBytes, value, limit, .. }) => assert_eq!((value, limit), (60, 59)),
        other => panic!("{other:?}"),
    }

    // A decoded virtio_net_rss_config has RSS only; with_features adds hash reporting.
    assert_eq!(decoded.fields().unwrap().features, Features::RSS);
    let reporting = decoded.with_features(Features::RSS | Features::HASH_REPORT).unwrap();
    assert_eq!(reporting.fields().unwrap().features, Features::RSS | Features::HASH_REPORT);
}

/// Tests/abi/abi_test.c's configurations(), as typed errors.
#[test]
fn bad_configurations_give_typed_errors() {
    // decode: an empty blob is truncated (virtio ack 1, EFAULT); a bad blob under either policy.
    match Config::decode(Format::VirtioRss, Policy::Kernel, &[]) {
        Err(Error::Refused { rule: Rule::Truncated, virtio_ack: 1, kernel_errno: 14, value: 0, limit: 4, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(Config::decode(Format::VirtioHash, Policy::Virtio, &[0xff; 9]).unwrap_err().errno(), -22);
    assert_eq!(Config::decode(Format::TunVnetHash, Policy::Kernel, &[0xff; 3]).unwrap_err().errno(), -22);

    // create: features or hash types outside the ABI.
    let table = [0u16, 1, 2, 3];
    let mut fields = Fields { features: Features::RSS, hash_types: HashTypes::ALL, ..Fields::default() };
    fields.features = Features::from_bits_retain(0x80);
    assert_eq!(Config::new(&fields, &table, &MICROSOFT_KEY).unwrap_err().errno(), -22);
    fields.features = Features::RSS;
    fields.hash_types = HashTypes::from_bits_retain(0x400);
    assert_eq!(Config::new(&fields, &table, &MICROSOFT_KEY).unwrap_err().errno(), -22);

    // validate: an entry past the device's queue pairs, with the exact detail.
    let config = good_config();
    assert_eq!(config.validate(Validation::Kernel), Ok(()));
    let limits = DeviceLimits { queue_pairs: 2, ..DeviceLimits::qemu(2) };
    match config.validate(Validation::Virtio(limits)) {
        Err(Error::Refused { rule: Rule::AboveMaximum, field, value: 2, limit: 1, virtio_ack: 1, .. }) => {
            assert_eq!(field, "indirection_table[2]")
        }
        other => panic!("{other:?}"),
    }

    // with_features: bits outside the ABI.
    assert_eq!(config.with_features(Features::from_bits_retain(0x10)).unwrap_err().errno(), -22);

    // The error's Display carries the library's sentence.
    let refused = config.validate(Validation::Virtio(limits)).unwrap_err();
    assert!(refused.to_string().starts_with("configuration refused: "), "{refused}");
    let io: std::io::Error = refused.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
}

// ---- Classifiers -------------------------------------------------------------------------------

/// A vnet header's room, then an IPv4 frame from `source`:`source_port` to
/// `destination`:`destination_port` over `protocol` (6 or 17).
fn ipv4_packet(source: [u8; 4], destination: [u8; 4], ports: (u16, u16), protocol: u8) -> Vec<u8> {
    let mut packet = vec![0u8; VNET_HEADER_SIZE];
    packet.extend_from_slice(&[2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let total = 20 + if protocol == 6 { 20 } else { 8 } as u16;
    packet.extend_from_slice(&[0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0, 0, 64, protocol, 0, 0]);
    packet.extend_from_slice(&source);
    packet.extend_from_slice(&destination);
    packet.extend_from_slice(&ports.0.to_be_bytes());
    packet.extend_from_slice(&ports.1.to_be_bytes());
    packet.resize(packet.len() + if protocol == 6 { 16 } else { 4 }, 0);
    if protocol == 6 {
        let flags = packet.len() - 16 + 8;
        packet[flags] = 0x50; // data offset 5
    }
    packet
}

fn header_fields(packet: &[u8]) -> (u16, u32, u16, u16) {
    (
        u16::from_le_bytes([packet[10], packet[11]]),
        u32::from_le_bytes([packet[12], packet[13], packet[14], packet[15]]),
        u16::from_le_bytes([packet[16], packet[17]]),
        u16::from_le_bytes([packet[18], packet[19]]),
    )
}

#[test]
fn classifier_decides_microsoft_tuples_and_writes_the_header() {
    let config = good_config();
    let classifier = Classifier::new(&config, 4, ExtensionHeaderRule::Spec).unwrap();
    // Microsoft vector 1 over TCP: hash 0x51ccc178, table[0x78 & 3] = 0.
    let mut tcp = ipv4_packet([66, 9, 149, 187], [161, 142, 100, 80], (2794, 1766), 6);
    let frame_before = tcp[VNET_HEADER_SIZE..].to_vec();
    let decision = classifier.classify(&mut tcp, VNET_HEADER_SIZE, 3).unwrap();
    assert_eq!(decision, Decision { hash: 0x51cc_c178, report: report::TCPV4, queue: 0 });
    assert_eq!(header_fields(&tcp), (1, 0x51cc_c178, report::TCPV4, 0));
    assert_eq!(tcp[VNET_HEADER_SIZE..], frame_before[..], "nothing past the header is written");
    // Microsoft vector 2 over UDP: hash 0xc626b0ea, table[0xea & 3] = 2.
    let mut udp = ipv4_packet([199, 92, 111, 2], [65, 69, 140, 83], (14230, 4739), 17);
    let decision = classifier.classify(&mut udp, VNET_HEADER_SIZE, 0).unwrap();
    assert_eq!(decision, Decision { hash: 0xc626_b0ea, report: report::UDPV4, queue: 2 });
    assert_eq!(header_fields(&udp), (1, 0xc626_b0ea, report::UDPV4, 0));

    // Short packets decide as empty frames (unclassified) and are left alone.
    let mut short = [7u8; 5];
    let decision = classifier.classify(&mut short, VNET_HEADER_SIZE, 3).unwrap();
    assert_eq!((decision.hash, decision.report), (0, report::NONE));
    assert_eq!(short, [7; 5]);
    assert_eq!(classifier.classify(&mut [], VNET_HEADER_SIZE, 0).unwrap().report, report::NONE);
    // A header size past any packet is refused.
    assert_eq!(classifier.classify(&mut tcp, 1 << 20, 0).unwrap_err().errno(), -22);
}

#[test]
fn batches_decide_as_single_calls_do() {
    let config = good_config();
    let classifier = Classifier::new(&config, 4, ExtensionHeaderRule::Qemu).unwrap();
    assert_eq!(Batch::new(0).unwrap_err().errno(), -22);
    assert_eq!(Batch::new(1 << 30).unwrap_err().errno(), -22);
    let mut batch = Batch::new(3).unwrap();

    // Seven packets in passes of 3 + 3 + 1, each decided as classify decides it alone.
    let mut storage: Vec<Vec<u8>> = (0..7u16)
        .map(|i| ipv4_packet([10, 0, 0, i as u8], [10, 0, 1, 1], (1000 + i * 13, 80), if i % 2 == 0 { 6 } else { 17 }))
        .collect();
    let mut expected = Vec::new();
    for (i, packet) in storage.iter().enumerate() {
        let mut copy = packet.clone();
        expected.push(classifier.classify(&mut copy, VNET_HEADER_SIZE, i as u16).unwrap());
    }
    let mut decisions = [Decision::default(); 7];
    {
        let mut packets: Vec<Packet<'_>> =
            storage.iter_mut().enumerate().map(|(i, data)| Packet::new(data, i as u16)).collect();
        assert_eq!(packets[4].arrival_queue(), 4);
        let mut too_few = [Decision::default(); 6];
        assert_eq!(
            classifier.classify_batch(&mut batch, &mut packets, VNET_HEADER_SIZE, &mut too_few),
            Err(Error::BufferTooSmall { needed: 7, capacity: 6 })
        );
        classifier.classify_batch(&mut batch, &mut packets, VNET_HEADER_SIZE, &mut decisions).unwrap();
        classifier.classify_batch(&mut batch, &mut [], VNET_HEADER_SIZE, &mut []).unwrap();
    }
    assert_eq!(decisions.to_vec(), expected);
    for (packet, decision) in storage.iter().zip(&decisions) {
        assert_eq!(header_fields(packet), (1, decision.hash, decision.report, 0));
        assert_ne!(decision.report, report::NONE);
    }
}

#[test]
fn classifier_refuses_a_configuration_every_policy_refuses() {
    // RSS without an indirection table.
    let fields = Fields { features: Features::RSS, hash_types: HashTypes::ALL, ..Fields::default() };
    let no_table = Config::new(&fields, &[], &MICROSOFT_KEY).unwrap();
    match Classifier::new(&no_table, 4, ExtensionHeaderRule::Spec) {
        Err(Error::Refused { rule: Rule::BelowMinimum, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn thread_rules_are_in_the_types() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Config>();
    send_sync::<Classifier>();
    send_sync::<vnet_rss::Engine>();
    send::<Batch>();
    send::<vnet_rss::QueueReceiver>();
    // The steering object's control calls are "the control thread", its classify functions one
    // thread at a time per arrival queue: both handles are Send, neither Sync.
    send::<vnet_rss::TapSteering<'static>>();
    send::<vnet_rss::QueueClassifier<'static>>();
    send_sync::<vnet_rss::GuestFrame<'static>>();
    // vnet_rss_steering_program_load is "any thread"; the program is descriptors only.
    send_sync::<vnet_rss::SteeringProgram>();
    assert_eq!(vnet_rss::abi_version(), vnet_rss::sys::VNET_RSS_ABI_VERSION);
    assert_eq!(vnet_rss::abi_check(), Ok(()));
}

#[test]
fn steering_modes_are_the_header_values() {
    use vnet_rss::{sys, Steerer, Steering};
    let modes = [
        (Steering::Automatic, sys::VNET_RSS_STEERING_AUTOMATIC, 0),
        (Steering::Userspace, sys::VNET_RSS_STEERING_USERSPACE, 1),
        (Steering::Program, sys::VNET_RSS_STEERING_PROGRAM, 2),
        (Steering::Kernel, sys::VNET_RSS_STEERING_KERNEL, 3),
    ];
    for (mode, constant, value) in modes {
        assert_eq!(mode.raw(), constant);
        assert_eq!(constant, value);
        assert_eq!(Steering::from_raw(value), Some(mode));
    }
    assert_eq!(Steering::from_raw(4), None);
    assert_eq!(Steering::default(), Steering::Automatic);
    // What can be in force: never AUTOMATIC.
    assert_eq!(Steerer::from_raw(0), None);
    for (steerer, value) in [(Steerer::Userspace, 1), (Steerer::Program, 2), (Steerer::Kernel, 3)] {
        assert_eq!(Steerer::from_raw(value), Some(steerer));
        assert_eq!(steerer.raw(), value);
        assert_eq!(Steering::from(steerer).raw(), value);
    }
    assert_eq!(Steerer::from_raw(4), None);
    assert_eq!(vnet_rss::STEERING_PROGRAM_FDS, 4);
}

#[test]
fn steering_program_keeps_the_descriptors_it_adopts() {
    use std::os::fd::{AsRawFd, OwnedFd};
    use vnet_rss::SteeringProgram;
    let fds: [OwnedFd; 4] = std::array::from_fn(|_| OwnedFd::from(std::fs::File::open("/dev/null").unwrap()));
    let raw = fds.each_ref().map(AsRawFd::as_raw_fd);
    let program = SteeringProgram::from_fds(fds);
    assert_eq!(program.as_raw_fds(), raw);
    assert_eq!(program.as_fds().map(|fd| fd.as_raw_fd()), raw);
    let back = program.into_fds();
    assert_eq!(back.each_ref().map(AsRawFd::as_raw_fd), raw);
}

#[test]
fn steered_engines_refuse_bad_input() {
    use vnet_rss::{Engine, EngineOptions, Steering, SteeringProgram};
    let config = good_config();
    // No tap fds, whatever the mode.
    for mode in [Steering::Automatic, Steering::Userspace, Steering::Program, Steering::Kernel] {
        assert_eq!(
            Engine::with_steering(Vec::new(), &config, EngineOptions::default(), mode, None).unwrap_err(),
            Error::Os { function: "vnet_rss_engine_create_steered", errno: 22 }
        );
    }
    // A steering number that names no mode is refused before any descriptor is looked at.
    let null = std::fs::File::open("/dev/null").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&null);
    let mut out = std::ptr::null_mut();
    let mut error = vnet_rss::sys::vnet_rss_error::default();
    for steering in [4, 5, u32::MAX] {
        // SAFETY: one open descriptor, a live configuration, NULL options and program; `out` and
        // `error` are valid for writes.
        let code = unsafe {
            vnet_rss::sys::vnet_rss_engine_create_steered(
                &fd,
                1,
                config.as_ptr(),
                std::ptr::null(),
                steering,
                std::ptr::null(),
                &mut out,
                &mut error,
            )
        };
        assert_eq!(code, -22, "steering {steering}");
        assert!(out.is_null());
    }
    // Program descriptors that are not a program's (looked at before the taps): EINVAL, the
    // kernel's answer for a descriptor that is no BPF object; EPERM instead where the kernel
    // (before 6.5, with unprivileged BPF disabled) refuses every BPF command to this user.
    let fake =
        SteeringProgram::from_fds(std::array::from_fn(|_| std::os::fd::OwnedFd::from(null.try_clone().unwrap())));
    let taps = vec![std::os::fd::OwnedFd::from(null.try_clone().unwrap())];
    let refused =
        Engine::with_steering(taps, &config, EngineOptions::default(), Steering::Program, Some(&fake)).unwrap_err();
    assert!(
        refused == Error::Os { function: "vnet_rss_engine_create_steered", errno: 22 }
            || (!running_as_root() && refused == Error::Os { function: "vnet_rss_engine_create_steered", errno: 1 }),
        "{refused:?}"
    );
}

#[test]
fn tap_steering_refuses_bad_input_without_a_tap() {
    use vnet_rss::{TapSteering, TapSteeringOptions};
    let config = good_config();
    let refused = |errno| Error::Os { function: "vnet_rss_steering_create", errno };
    let none: [std::fs::File; 0] = [];
    assert_eq!(TapSteering::new(&none, &config, TapSteeringOptions::default(), None).unwrap_err(), refused(22));
    let null = std::fs::File::open("/dev/null").unwrap();
    let many: Vec<std::fs::File> = (0..65).map(|_| null.try_clone().unwrap()).collect();
    assert_eq!(TapSteering::new(&many, &config, TapSteeringOptions::default(), None).unwrap_err(), refused(22));
    // More receive queues than fds: refused before any fd is looked at.
    let options = TapSteeringOptions { queue_count: 3, ..TapSteeringOptions::default() };
    assert_eq!(TapSteering::new(&many[..2], &config, options, None).unwrap_err(), refused(34));
    // An fd that is no tap queue: the errno of the ioctl that found out.
    match TapSteering::new(&many[..1], &config, TapSteeringOptions::default(), None) {
        Err(Error::Os { function: "vnet_rss_steering_create", errno }) => assert!(errno > 0),
        other => panic!("/dev/null as a tap: {other:?}"),
    };
}

#[test]
fn guest_decisions_read_the_c_structure() {
    use vnet_rss::{sys, GuestDecision, HashFields, HASH_FIELDS_OFFSET, HASH_FIELDS_SIZE};
    assert_eq!((HASH_FIELDS_OFFSET, HASH_FIELDS_SIZE), (12, 8));
    let mut raw = sys::vnet_rss_guest_decision {
        hash: 0x1234_5678,
        report: report::UDPV6,
        queue: 3,
        stray: 1,
        fields_valid: 1,
        fields_offset: 12,
        fields: [0x78, 0x56, 0x34, 0x12, 6, 0, 0, 0],
    };
    let fields = HashFields { offset: 12, bytes: raw.fields };
    assert_eq!(fields.range(), 12..20);
    assert_eq!(
        GuestDecision::from(&raw),
        GuestDecision { hash: 0x1234_5678, report: report::UDPV6, queue: 3, stray: true, fields: Some(fields) }
    );
    raw.fields_valid = 0;
    raw.stray = 0;
    assert_eq!(GuestDecision::from(&raw).fields, None);
    assert!(!GuestDecision::from(&raw).stray);
}

#[test]
fn io_slices_are_iovecs() {
    // The safe classify functions pass `&mut [IoSliceMut]` as `struct iovec`s: std's guarantee,
    // seen here field by field.
    let mut first = [0u8; 7];
    let mut second = [0u8; 13];
    let (first_base, second_base) = (first.as_mut_ptr(), second.as_mut_ptr());
    let slices = [std::io::IoSliceMut::new(&mut first), std::io::IoSliceMut::new(&mut second)];
    // SAFETY: IoSliceMut is ABI compatible with struct iovec on Unix (std's documentation); the
    // array is read, not written, while `slices` lives.
    let iovecs = unsafe { std::slice::from_raw_parts(slices.as_ptr().cast::<vnet_rss::sys::iovec>(), slices.len()) };
    assert_eq!((iovecs[0].iov_base.cast::<u8>(), iovecs[0].iov_len), (first_base, 7));
    assert_eq!((iovecs[1].iov_base.cast::<u8>(), iovecs[1].iov_len), (second_base, 13));
}

/// True when the test runs as root (geteuid, from the C library std links).
fn running_as_root() -> bool {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid takes nothing and cannot fail.
    unsafe { geteuid() == 0 }
}
