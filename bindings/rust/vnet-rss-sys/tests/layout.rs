//! The raw layer against the C header and the library, so that neither can drift:
//!
//! - a C program generated here, compiled by the system C compiler (`cc`, or `$CC`) against the
//!   vnet_rss.h that pkg-config names, prints every structure's size and alignment, every
//!   field's offset and size and whether its C type is the one the Rust field maps to, every
//!   constant's value and type, and whether each function's C type is the one the Rust
//!   declaration maps to; each is compared with Rust's `size_of`/`align_of`/`offset_of!` and
//!   the constants and declarations of this crate;
//! - the header's own lists (constants, structures, their fields, functions), read from its
//!   text, must equal the lists here, so an item added to the header fails this test;
//! - the functions must equal the library's exports (`nm -D --defined-only libvnetrss.so`).
//!
//! Prints `layout: N checks, N passed`.

use std::collections::BTreeSet;
use std::ffi::c_void;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use vnet_rss_sys as sys;

/// The C type a Rust field type stands for, as a C type name.
trait CType {
    fn c_type() -> String;
}
macro_rules! c_types {
    ($($rust:ty => $c:expr),* $(,)?) => { $(impl CType for $rust { fn c_type() -> String { $c.to_string() } })* };
}
c_types! {
    u8 => "uint8_t", u16 => "uint16_t", u32 => "uint32_t", u64 => "uint64_t", i32 => "int32_t",
    usize => "size_t", std::ffi::c_char => "char", c_void => "void",
    sys::vnet_rss_frame_handler => "vnet_rss_frame_handler",
    sys::iovec => "struct iovec",
}
impl<T: CType> CType for *const T {
    fn c_type() -> String {
        format!("const {} *", T::c_type())
    }
}
impl<T: CType> CType for *mut T {
    fn c_type() -> String {
        format!("{} *", T::c_type())
    }
}
impl<T: CType, const N: usize> CType for [T; N] {
    fn c_type() -> String {
        format!("{}[{N}]", T::c_type())
    }
}

fn c_type_of_value<T: CType>(_: T) -> String {
    T::c_type()
}

fn c_type_of<S, T: CType>(_: fn(&S) -> &T) -> (String, usize) {
    (T::c_type(), size_of::<T>())
}

/// One item compared: the C expression printed by the generated program and the Rust value.
struct Item {
    key: String,
    c_expression: String,
    rust: u64,
}

#[derive(Default)]
struct Items {
    items: Vec<Item>,
    structures: Vec<(String, Vec<String>)>,
    constants: Vec<String>,
}

impl Items {
    fn push(&mut self, key: String, c_expression: String, rust: u64) {
        self.items.push(Item { key, c_expression, rust });
    }
}

/// One structure's size and alignment, and each field's offset, size and C type, under its C
/// spelling (`vnet_rss_fields`, or `struct iovec` for the system header's).
macro_rules! structure_layout {
    ($items:ident; $name:ident as $c_name:expr, { $($field:ident),* $(,)? }) => {
        let c_name: &str = $c_name;
        $items.push(format!("sizeof {c_name}"), format!("sizeof({c_name})"), size_of::<sys::$name>() as u64);
        $items.push(format!("alignof {c_name}"), format!("_Alignof({c_name})"), align_of::<sys::$name>() as u64);
        $(
            let (c_type, size) = c_type_of(|s: &sys::$name| &s.$field);
            let member = format!("((({c_name} *)0)->{})", stringify!($field));
            $items.push(format!("offsetof {c_name}.{}", stringify!($field)),
                format!("offsetof({c_name}, {})", stringify!($field)),
                offset_of!(sys::$name, $field) as u64);
            $items.push(format!("sizeof {c_name}.{}", stringify!($field)),
                format!("sizeof {member}"), size as u64);
            $items.push(format!("type {c_name}.{} is {}", stringify!($field), c_type),
                format!("__builtin_types_compatible_p(__typeof__{member}, {c_type})"), 1);
        )*
    };
}

/// The header's structures: their layout, and their names and fields for the list check.
macro_rules! structures {
    ($items:ident; $($name:ident { $($field:ident),* $(,)? })*) => {$(
        structure_layout!($items; $name as stringify!($name), { $($field),* });
        $items.structures.push((stringify!($name).to_string(), vec![$(stringify!($field).to_string()),*]));
    )*};
}

macro_rules! constants {
    ($items:ident; $($name:ident),* $(,)?) => {$(
        $items.push(format!("value {}", stringify!($name)), format!("{}", stringify!($name)),
            u64::from(sys::$name));
        let c_type = c_type_of_value(sys::$name);
        $items.push(format!("type {} is {c_type}", stringify!($name)),
            format!("__builtin_types_compatible_p(__typeof__({}), {c_type})", stringify!($name)), 1);
        $items.constants.push(stringify!($name).to_string());
    )*};
}

/// A Rust type of a declaration (as `stringify!` spells it) as a C type name.
fn c_type_of_rust(rust: &str) -> String {
    let rust = rust.trim();
    if let Some(rest) = rust.strip_prefix("*const") {
        return format!("const {} *", c_type_of_rust(rest));
    }
    if let Some(rest) = rust.strip_prefix("*mut") {
        return format!("{} *", c_type_of_rust(rest));
    }
    match rust {
        "u8" => "uint8_t",
        "u16" => "uint16_t",
        "u32" => "uint32_t",
        "u64" => "uint64_t",
        "i32" => "int32_t",
        "usize" => "size_t",
        "c_int" => "int",
        "c_char" => "char",
        "c_void" => "void",
        "()" => "void",
        "iovec" => "struct iovec",
        name if name.starts_with("vnet_rss_") => name,
        other => panic!("no C spelling for the Rust type `{other}`"),
    }
    .to_string()
}

fn environment(name: &str, compiled: Option<&'static str>) -> String {
    std::env::var(name).ok().or(compiled.map(str::to_string)).unwrap_or_else(|| panic!("{name} unset"))
}

/// The header's text without comments.
fn header_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// `#define VNET_RSS_NAME <number>` names.
fn header_constants(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("#define")).then_some(())?;
            let name = words.next()?;
            let value = words.next()?;
            (name.starts_with("VNET_RSS_") && value.starts_with(|c: char| c.is_ascii_digit())).then(|| name.to_string())
        })
        .collect()
}

/// `typedef struct name { ... } name;` with the member names, handles (`opaque_`) left out.
fn header_structures(text: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("typedef struct ") {
        rest = &rest[start + "typedef struct ".len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let open = rest.find('{').expect("struct body");
        let close = rest.find('}').expect("struct end");
        let body = &rest[open + 1..close];
        let fields: Vec<String> = body
            .split(';')
            .map(str::trim)
            .filter(|declaration| !declaration.is_empty())
            .map(|declaration| {
                let declarator = declaration.split('[').next().unwrap_or("");
                declarator.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_string()
            })
            .collect();
        if fields != ["opaque_"] {
            found.push((name, fields));
        }
        rest = &rest[close..];
    }
    found
}

/// The functions declared (a declaration starts with its return type and names vnet_rss_*).
fn header_functions(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            if !line.starts_with(|c: char| c.is_ascii_alphabetic()) || line.starts_with("typedef") {
                return None;
            }
            let open = line.find('(')?;
            let name = line[..open].rsplit([' ', '*']).next()?;
            name.starts_with("vnet_rss_").then(|| name.to_string())
        })
        .collect()
}

/// The (`VNET_RSS_TYPE_*`, structure) pairs of the header's `VNET_RSS_ABI_CHECK()` macro, in its
/// order: each `vnet_rss_sizeof(VNET_RSS_TYPE_X) == sizeof(name)`.
fn header_abi_check_pairs(text: &str) -> Vec<(String, String)> {
    let start = text.find("#define VNET_RSS_ABI_CHECK()").expect("the VNET_RSS_ABI_CHECK macro");
    let end = start + text[start..].find("? 0").expect("the end of VNET_RSS_ABI_CHECK");
    let word = |at: &str| at.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    text[start..end]
        .split("vnet_rss_sizeof(")
        .skip(1)
        .map(|pair| {
            let selector = word(pair);
            let structure = pair.split("sizeof(").nth(1).map(word).unwrap_or_default();
            (selector, structure)
        })
        .collect()
}

/// The vnet_rss_* functions the shared library exports.
fn exported_functions(library: &Path) -> BTreeSet<String> {
    let output = Command::new("nm").args(["-D", "--defined-only"]).arg(library).output().expect("nm (binutils) runs");
    assert!(output.status.success(), "nm -D {}: {}", library.display(), String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let _address = words.next()?;
            let kind = words.next()?;
            let name = words.next()?.split('@').next()?;
            (kind == "T" && name.starts_with("vnet_rss_")).then(|| name.to_string())
        })
        .collect()
}

#[test]
fn layout_matches_header_and_library() {
    let include = PathBuf::from(environment("VNET_RSS_INCLUDEDIR", option_env!("VNET_RSS_INCLUDEDIR")));
    let libdir = PathBuf::from(environment("VNET_RSS_LIBDIR", option_env!("VNET_RSS_LIBDIR")));
    let header = include.join("vnet_rss.h");

    let mut items = Items::default();
    structures! { items;
        vnet_rss_error { rule, virtio_ack, kernel_errno, reserved, value, limit, field, message }
        vnet_rss_device_limits { queue_pairs, reserved, max_indirection_table_length, max_key_size, supported_hash_types }
        vnet_rss_fields { features, hash_types, unclassified_queue, max_tx_vq, indirection_table_length, key_length, reserved }
        vnet_rss_decision { hash, report, queue }
        vnet_rss_packet { data, length, arrival_queue, reserved }
        vnet_rss_frame { packet, length, header_size, hash, report, tap_queue, queue, reserved }
        vnet_rss_engine_options { reader, receive_queues, buffers_per_queue, buffer_size, ring_capacity,
            extension_header_rule, inline_handler, inline_context }
        vnet_rss_statistics { frames_read, bytes_read, frames_delivered, frames_dropped, frames_unclassified, frames_redirected }
        vnet_rss_capability { features, hash_types }
        vnet_rss_guest_frame { iov, iovcnt, reserved, length }
        vnet_rss_guest_decision { hash, report, queue, stray, fields_valid, fields_offset, fields }
        vnet_rss_steering_counters { frames, strays, unclassified }
    }
    // struct iovec comes from <sys/uio.h> (not one of the header's own structures): its layout
    // only, which the guest frames and the classify functions take and IoSliceMut matches.
    structure_layout!(items; iovec as "struct iovec", { iov_base, iov_len });
    constants! { items;
        VNET_RSS_ABI_VERSION,
        VNET_RSS_FORMAT_TUN_VNET_HASH, VNET_RSS_FORMAT_TUN_VNET_RSS, VNET_RSS_FORMAT_VIRTIO_RSS, VNET_RSS_FORMAT_VIRTIO_HASH,
        VNET_RSS_POLICY_KERNEL, VNET_RSS_POLICY_VIRTIO,
        VNET_RSS_FEATURE_HASH_REPORT, VNET_RSS_FEATURE_RSS,
        VNET_RSS_HASH_TYPES_ALL,
        VNET_RSS_EX_RULE_SPEC, VNET_RSS_EX_RULE_QEMU,
        VNET_RSS_READER_READ, VNET_RSS_READER_URING, VNET_RSS_READER_URING_SINGLE,
        VNET_RSS_STEERING_AUTOMATIC, VNET_RSS_STEERING_USERSPACE, VNET_RSS_STEERING_PROGRAM, VNET_RSS_STEERING_KERNEL,
        VNET_RSS_STEERING_PROGRAM_FDS,
        VNET_RSS_RULE_NONE, VNET_RSS_RULE_TRUNCATED, VNET_RSS_RULE_TRAILING_BYTES, VNET_RSS_RULE_RESERVED_NOT_ZERO,
        VNET_RSS_RULE_NOT_POWER_OF_TWO, VNET_RSS_RULE_ABOVE_MAXIMUM, VNET_RSS_RULE_BELOW_MINIMUM,
        VNET_RSS_RULE_UNSUPPORTED_BITS,
        VNET_RSS_TYPE_ERROR, VNET_RSS_TYPE_DEVICE_LIMITS, VNET_RSS_TYPE_FIELDS, VNET_RSS_TYPE_DECISION,
        VNET_RSS_TYPE_PACKET, VNET_RSS_TYPE_FRAME, VNET_RSS_TYPE_ENGINE_OPTIONS, VNET_RSS_TYPE_STATISTICS,
        VNET_RSS_TYPE_CAPABILITY, VNET_RSS_TYPE_GUEST_DECISION, VNET_RSS_TYPE_GUEST_FRAME,
        VNET_RSS_TYPE_STEERING_COUNTERS,
        VNET_RSS_HASH_FIELDS_OFFSET, VNET_RSS_HASH_FIELDS_SIZE,
    }
    // The handler typedef: Rust's alias must be this exact type (checked by the compiler here)
    // and C's typedef the matching function pointer (checked by cc below).
    let _: sys::vnet_rss_frame_handler = None::<unsafe extern "C" fn(*const sys::vnet_rss_frame, *mut c_void)>;
    items.push(
        "type vnet_rss_frame_handler".to_string(),
        "__builtin_types_compatible_p(vnet_rss_frame_handler, void (*)(const vnet_rss_frame *, void *))".to_string(),
        1,
    );
    // Every function: its C type must be the one the Rust declaration spells.
    for function in sys::FUNCTIONS {
        let parameters: Vec<String> = function.parameters.iter().map(|p| c_type_of_rust(p)).collect();
        let parameters = if parameters.is_empty() { "void".to_string() } else { parameters.join(", ") };
        let c_type = format!("{} (*)({parameters})", c_type_of_rust(function.result));
        items.push(
            format!("signature {} is {c_type}", function.name),
            format!("__builtin_types_compatible_p(__typeof__(&{}), {c_type})", function.name),
            1,
        );
    }

    // VNET_RSS_ABI_CHECK(): the Rust function compares the same selectors with the same sizes
    // as the header's macro, pair by pair in its order (printed by the C program, so the
    // selectors' values and the structures' sizes are the compiler's).
    let header_pairs = header_abi_check_pairs(&header_text(&header));
    for (index, (selector, structure)) in header_pairs.iter().enumerate() {
        let (rust_selector, rust_size) = sys::ABI_CHECK_SIZES.get(index).copied().unwrap_or((u32::MAX, 0));
        items.push(format!("VNET_RSS_ABI_CHECK pair {index}: {selector}"), selector.clone(), u64::from(rust_selector));
        items.push(
            format!("VNET_RSS_ABI_CHECK pair {index}: sizeof({structure})"),
            format!("sizeof({structure})"),
            rust_size as u64,
        );
    }

    // The generated program.
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("layout");
    std::fs::create_dir_all(&directory).unwrap();
    let mut program = String::from(
        "#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <vnet_rss.h>\n\nint main(void) {\n",
    );
    for item in &items.items {
        writeln!(program, "    printf(\"%llu\\n\", (unsigned long long)({}));", item.c_expression).unwrap();
    }
    program.push_str("    return 0;\n}\n");
    let source = directory.join("layout.c");
    let binary = directory.join("layout");
    std::fs::write(&source, &program).unwrap();
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let compiled = Command::new(&compiler)
        .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&include)
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{compiler}`: {e}"));
    assert!(
        compiled.status.success(),
        "{compiler} {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&compiled.stderr)
    );
    let run = Command::new(&binary).output().expect("the layout program runs");
    assert!(run.status.success());
    let printed: Vec<u64> = String::from_utf8(run.stdout).unwrap().lines().map(|line| line.parse().unwrap()).collect();
    assert_eq!(printed.len(), items.items.len());

    let mut checks = 0;
    let mut failures = Vec::new();
    let mut check = |what: String, passed: bool| {
        checks += 1;
        if !passed {
            failures.push(what);
        }
    };
    for (item, c) in items.items.iter().zip(&printed) {
        check(format!("{}: C {c}, Rust {}", item.key, item.rust), *c == item.rust);
    }

    // The lists: the header's against this crate's.
    let text = header_text(&header);
    let header_constants = header_constants(&text);
    let rust_constants: BTreeSet<String> = items.constants.iter().cloned().collect();
    check(
        format!("constants: header {header_constants:?}, Rust {rust_constants:?}"),
        header_constants == rust_constants,
    );
    let header_structures = header_structures(&text);
    check(
        format!(
            "structures: header {:?}, Rust {:?}",
            header_structures.iter().map(|s| &s.0).collect::<Vec<_>>(),
            items.structures.iter().map(|s| &s.0).collect::<Vec<_>>()
        ),
        header_structures.len() == items.structures.len(),
    );
    for (name, fields) in &header_structures {
        let rust = items.structures.iter().find(|(rust_name, _)| rust_name == name).map(|(_, f)| f);
        check(format!("fields of {name}: header {fields:?}, Rust {rust:?}"), rust == Some(fields));
    }
    check(
        format!("VNET_RSS_ABI_CHECK pairs: header {}, Rust {}", header_pairs.len(), sys::ABI_CHECK_SIZES.len()),
        header_pairs.len() == sys::ABI_CHECK_SIZES.len(),
    );
    let checked_selectors: BTreeSet<String> = header_pairs.iter().map(|(selector, _)| selector.clone()).collect();
    let type_constants: BTreeSet<String> =
        header_constants.iter().filter(|name| name.starts_with("VNET_RSS_TYPE_")).cloned().collect();
    check(
        format!(
            "VNET_RSS_ABI_CHECK covers every VNET_RSS_TYPE_*: macro {checked_selectors:?}, header {type_constants:?}"
        ),
        checked_selectors == type_constants,
    );
    let header_functions = header_functions(&text);
    let rust_functions: BTreeSet<String> = sys::FUNCTIONS.iter().map(|f| f.name.to_string()).collect();
    check(
        format!("functions: header {header_functions:?}, Rust {rust_functions:?}"),
        header_functions == rust_functions,
    );

    // The exports: the library's against this crate's, one check per function and one for the set.
    let library = libdir.join("libvnetrss.so");
    let exports = exported_functions(&library);
    for name in &rust_functions {
        check(format!("{name} exported by {}", library.display()), exports.contains(name));
    }
    check(format!("exports: library {exports:?}, Rust {rust_functions:?}"), exports == rust_functions);

    // The library's own ABI check, as VNET_RSS_ABI_CHECK() in C.
    // SAFETY: VNET_RSS_ABI_CHECK takes no pointers; the library is the one linked.
    let abi = unsafe { sys::VNET_RSS_ABI_CHECK() };
    check(format!("VNET_RSS_ABI_CHECK() = {abi}"), abi == 0);

    for failure in &failures {
        eprintln!("layout mismatch: {failure}");
    }
    println!(
        "layout: {checks} checks, {} passed ({} structures, {} constants, {} functions; header {})",
        checks - failures.len(),
        items.structures.len(),
        items.constants.len(),
        sys::FUNCTIONS.len(),
        header.display()
    );
    assert!(failures.is_empty(), "{} of {checks} layout checks failed", failures.len());
}
