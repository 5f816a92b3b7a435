//! Configurations: decoded from a wire format or built from fields, validated, encoded.

use std::ops::{BitOr, BitOrAssign};
use std::ptr::{self, NonNull};

use vnet_rss_sys as sys;

use crate::error::{check, Error, EINVAL, ENOSPC};
use crate::Result;

/// Features of a configuration (`VNET_RSS_FEATURE_*`, struct tun_vnet_hash.flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Features(u32);

impl Features {
    /// No feature.
    pub const NONE: Features = Features(0);
    /// `VNET_RSS_FEATURE_HASH_REPORT`: the hash fields of virtio_net_hdr_v1_hash are written.
    pub const HASH_REPORT: Features = Features(sys::VNET_RSS_FEATURE_HASH_REPORT);
    /// `VNET_RSS_FEATURE_RSS`: frames are steered by the indirection table.
    pub const RSS: Features = Features(sys::VNET_RSS_FEATURE_RSS);

    /// The bits, as the C ABI takes them.
    pub const fn bits(self) -> u32 {
        self.0
    }
    /// Features from bits, unknown bits kept (the library refuses them).
    pub const fn from_bits_retain(bits: u32) -> Features {
        Features(bits)
    }
    /// Whether every feature of `other` is set.
    pub const fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Features {
    type Output = Features;
    fn bitor(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }
}

impl BitOrAssign for Features {
    fn bitor_assign(&mut self, other: Features) {
        self.0 |= other.0;
    }
}

/// Hash types: the VIRTIO_NET_RSS_HASH_TYPE_* bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HashTypes(u32);

impl HashTypes {
    /// No type: every frame is unclassified.
    pub const NONE: HashTypes = HashTypes(0);
    /// VIRTIO_NET_RSS_HASH_TYPE_IPv4.
    pub const IPV4: HashTypes = HashTypes(1 << 0);
    /// VIRTIO_NET_RSS_HASH_TYPE_TCPv4.
    pub const TCPV4: HashTypes = HashTypes(1 << 1);
    /// VIRTIO_NET_RSS_HASH_TYPE_UDPv4.
    pub const UDPV4: HashTypes = HashTypes(1 << 2);
    /// VIRTIO_NET_RSS_HASH_TYPE_IPv6.
    pub const IPV6: HashTypes = HashTypes(1 << 3);
    /// VIRTIO_NET_RSS_HASH_TYPE_TCPv6.
    pub const TCPV6: HashTypes = HashTypes(1 << 4);
    /// VIRTIO_NET_RSS_HASH_TYPE_UDPv6.
    pub const UDPV6: HashTypes = HashTypes(1 << 5);
    /// VIRTIO_NET_RSS_HASH_TYPE_IP_EX.
    pub const IP_EX: HashTypes = HashTypes(1 << 6);
    /// VIRTIO_NET_RSS_HASH_TYPE_TCP_EX.
    pub const TCP_EX: HashTypes = HashTypes(1 << 7);
    /// VIRTIO_NET_RSS_HASH_TYPE_UDP_EX.
    pub const UDP_EX: HashTypes = HashTypes(1 << 8);
    /// `VNET_RSS_HASH_TYPES_ALL`: every type.
    pub const ALL: HashTypes = HashTypes(sys::VNET_RSS_HASH_TYPES_ALL);

    /// The bits, as the C ABI takes them.
    pub const fn bits(self) -> u32 {
        self.0
    }
    /// Hash types from bits, unknown bits kept (the library refuses them).
    pub const fn from_bits_retain(bits: u32) -> HashTypes {
        HashTypes(bits)
    }
}

impl BitOr for HashTypes {
    type Output = HashTypes;
    fn bitor(self, other: HashTypes) -> HashTypes {
        HashTypes(self.0 | other.0)
    }
}

/// The hash_report values of virtio_net_hdr_v1_hash (VIRTIO_NET_HASH_REPORT_*), as
/// [`Decision::report`](crate::Decision::report) and [`Frame::report`](crate::Frame::report)
/// carry them.
pub mod report {
    /// VIRTIO_NET_HASH_REPORT_NONE: unclassified.
    pub const NONE: u16 = 0;
    /// VIRTIO_NET_HASH_REPORT_IPv4.
    pub const IPV4: u16 = 1;
    /// VIRTIO_NET_HASH_REPORT_TCPv4.
    pub const TCPV4: u16 = 2;
    /// VIRTIO_NET_HASH_REPORT_UDPv4.
    pub const UDPV4: u16 = 3;
    /// VIRTIO_NET_HASH_REPORT_IPv6.
    pub const IPV6: u16 = 4;
    /// VIRTIO_NET_HASH_REPORT_TCPv6.
    pub const TCPV6: u16 = 5;
    /// VIRTIO_NET_HASH_REPORT_UDPv6.
    pub const UDPV6: u16 = 6;
    /// VIRTIO_NET_HASH_REPORT_IPv6_EX.
    pub const IPV6_EX: u16 = 7;
    /// VIRTIO_NET_HASH_REPORT_TCPv6_EX.
    pub const TCPV6_EX: u16 = 8;
    /// VIRTIO_NET_HASH_REPORT_UDPv6_EX.
    pub const UDPV6_EX: u16 = 9;
}

/// A wire format of a configuration (`VNET_RSS_FORMAT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `VNET_RSS_FORMAT_TUN_VNET_HASH`: the TUNSETVNETHASH compound of the kernel series v5-v11.
    TunVnetHash,
    /// `VNET_RSS_FORMAT_TUN_VNET_RSS`: the v12 split layout (TUNSETVNETRSS).
    TunVnetRss,
    /// `VNET_RSS_FORMAT_VIRTIO_RSS`: struct virtio_net_rss_config (VIRTIO_NET_CTRL_MQ_RSS_CONFIG).
    VirtioRss,
    /// `VNET_RSS_FORMAT_VIRTIO_HASH`: struct virtio_net_hash_config (VIRTIO_NET_CTRL_MQ_HASH_CONFIG).
    VirtioHash,
}

impl Format {
    /// The `VNET_RSS_FORMAT_*` value.
    pub const fn raw(self) -> u32 {
        match self {
            Format::TunVnetHash => sys::VNET_RSS_FORMAT_TUN_VNET_HASH,
            Format::TunVnetRss => sys::VNET_RSS_FORMAT_TUN_VNET_RSS,
            Format::VirtioRss => sys::VNET_RSS_FORMAT_VIRTIO_RSS,
            Format::VirtioHash => sys::VNET_RSS_FORMAT_VIRTIO_HASH,
        }
    }
}

/// How strictly a blob is decoded (`VNET_RSS_POLICY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `VNET_RSS_POLICY_KERNEL`: the kernel series' leniency (reserved fields and trailing
    /// bytes ignored).
    Kernel,
    /// `VNET_RSS_POLICY_VIRTIO`: an untrusted guest's blob; reserved fields must be zero and the
    /// blob must end with its last field.
    Virtio,
}

impl Policy {
    /// The `VNET_RSS_POLICY_*` value.
    pub const fn raw(self) -> u32 {
        match self {
            Policy::Kernel => sys::VNET_RSS_POLICY_KERNEL,
            Policy::Virtio => sys::VNET_RSS_POLICY_VIRTIO,
        }
    }
}

/// What a virtio-net device advertises (`vnet_rss_device_limits`, struct virtio_net_config's RSS
/// fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceLimits {
    /// `queue_pairs`: table entries and queues must lie below it.
    pub queue_pairs: u16,
    /// `max_indirection_table_length`: rss_max_indirection_table_length (QEMU: 128).
    pub max_indirection_table_length: u32,
    /// `max_key_size`: rss_max_key_size (QEMU: 40).
    pub max_key_size: u32,
    /// `supported_hash_types`.
    pub supported_hash_types: HashTypes,
}

impl DeviceLimits {
    /// QEMU's limits for `queue_pairs` queue pairs: 128 table entries, 40-byte keys, every hash
    /// type.
    pub const fn qemu(queue_pairs: u16) -> DeviceLimits {
        DeviceLimits {
            queue_pairs,
            max_indirection_table_length: 128,
            max_key_size: 40,
            supported_hash_types: HashTypes::ALL,
        }
    }

    fn raw(&self) -> sys::vnet_rss_device_limits {
        sys::vnet_rss_device_limits {
            queue_pairs: self.queue_pairs,
            reserved: 0,
            max_indirection_table_length: self.max_indirection_table_length,
            max_key_size: self.max_key_size,
            supported_hash_types: self.supported_hash_types.bits(),
        }
    }
}

/// The rules [`Config::validate`] holds a configuration to (`VNET_RSS_POLICY_*` with, for
/// virtio, the device's limits, which the C ABI requires with that policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Validation {
    /// `VNET_RSS_POLICY_KERNEL`.
    Kernel,
    /// `VNET_RSS_POLICY_VIRTIO` with `vnet_rss_device_limits`.
    Virtio(DeviceLimits),
}

/// A configuration's scalar fields (`vnet_rss_fields` without the lengths, which the table and
/// key slices carry).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fields {
    /// `features`.
    pub features: Features,
    /// `hash_types`.
    pub hash_types: HashTypes,
    /// `unclassified_queue`.
    pub unclassified_queue: u16,
    /// `max_tx_vq`.
    pub max_tx_vq: u16,
}

/// A configuration read back by [`Config::parts`] (`vnet_rss_config_fields`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Parts {
    /// The scalar fields.
    pub fields: Fields,
    /// The indirection table.
    pub table: Vec<u16>,
    /// The Toeplitz key.
    pub key: Vec<u8>,
}

/// An immutable configuration (`vnet_rss_config`). Freed on drop (`vnet_rss_config_free`).
///
/// `Send` and `Sync`: every function on a configuration is "any thread" in vnet_rss.h, except
/// `vnet_rss_config_free`, which only `Drop` calls.
#[derive(Debug)]
pub struct Config {
    raw: NonNull<sys::vnet_rss_config>,
}

// SAFETY: vnet_rss.h makes every function taking a `const vnet_rss_config *` "any thread";
// the only other one, vnet_rss_config_free, runs in Drop with the value owned.
unsafe impl Send for Config {}
// SAFETY: as above; `&Config` reaches only the "any thread" functions.
unsafe impl Sync for Config {}

/// `slice.as_ptr()`, or NULL for an empty slice (the C ABI takes NULL with a length of 0).
pub(crate) fn pointer_or_null<T>(slice: &[T]) -> *const T {
    if slice.is_empty() {
        ptr::null()
    } else {
        slice.as_ptr()
    }
}

impl Config {
    fn from_out(
        function: &'static str,
        code: i32,
        out: *mut sys::vnet_rss_config,
        error: &sys::vnet_rss_error,
    ) -> Result<Config> {
        check(function, code, Some(error))?;
        match NonNull::new(out) {
            Some(raw) => Ok(Config { raw }),
            None => Err(Error::Os { function, errno: crate::error::EPROTO }),
        }
    }

    /// Decodes `bytes` in `format` (`vnet_rss_config_decode`). [`Policy::Virtio`] requires
    /// zero reserved fields and no trailing bytes; neither policy validates (see
    /// [`Config::validate`]). A blob that does not decode gives [`Error::Refused`].
    pub fn decode(format: Format, policy: Policy, bytes: &[u8]) -> Result<Config> {
        crate::ensure_abi()?;
        let mut out = ptr::null_mut();
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: `bytes` is valid for `bytes.len()` bytes (or NULL with 0); `out` and `error`
        // are valid for writes; the library keeps no pointer after returning.
        let code = unsafe {
            sys::vnet_rss_config_decode(
                format.raw(),
                policy.raw(),
                pointer_or_null(bytes),
                bytes.len(),
                &mut out,
                &mut error,
            )
        };
        Config::from_out("vnet_rss_config_decode", code, out, &error)
    }

    /// A configuration from fields, an indirection table and a key (`vnet_rss_config_create`).
    pub fn new(fields: &Fields, table: &[u16], key: &[u8]) -> Result<Config> {
        crate::ensure_abi()?;
        let too_long = Error::Os { function: "vnet_rss_config_create", errno: EINVAL };
        let raw_fields = sys::vnet_rss_fields {
            features: fields.features.bits(),
            hash_types: fields.hash_types.bits(),
            unclassified_queue: fields.unclassified_queue,
            max_tx_vq: fields.max_tx_vq,
            indirection_table_length: u32::try_from(table.len()).map_err(|_| too_long.clone())?,
            key_length: u32::try_from(key.len()).map_err(|_| too_long)?,
            reserved: 0,
        };
        let mut out = ptr::null_mut();
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: `table` and `key` hold the lengths given in `raw_fields` (NULL when empty);
        // every pointer is valid for the call, which keeps none of them.
        let code = unsafe {
            sys::vnet_rss_config_create(&raw_fields, pointer_or_null(table), pointer_or_null(key), &mut out, &mut error)
        };
        Config::from_out("vnet_rss_config_create", code, out, &error)
    }

    /// Holds the configuration to `validation` (`vnet_rss_config_validate`): a broken rule
    /// gives [`Error::Refused`] with the rule, field, value and limit.
    pub fn validate(&self, validation: Validation) -> Result<()> {
        let (policy, limits) = match validation {
            Validation::Kernel => (sys::VNET_RSS_POLICY_KERNEL, None),
            Validation::Virtio(limits) => (sys::VNET_RSS_POLICY_VIRTIO, Some(limits.raw())),
        };
        let limits_pointer = limits.as_ref().map_or(ptr::null(), |l| l as *const _);
        let mut error = sys::vnet_rss_error::default();
        // SAFETY: `self.raw` is a live configuration; `limits_pointer` is NULL or points to a
        // local that outlives the call; `error` is valid for writes.
        let code = unsafe { sys::vnet_rss_config_validate(self.raw.as_ptr(), policy, limits_pointer, &mut error) };
        check("vnet_rss_config_validate", code, Some(&error)).map(drop)
    }

    /// The configuration encoded in `format` (`vnet_rss_config_encode`).
    pub fn encode(&self, format: Format) -> Result<Vec<u8>> {
        let needed = match self.encode_into(format, &mut []) {
            Ok(length) => length,
            Err(Error::BufferTooSmall { needed, .. }) => needed,
            Err(other) => return Err(other),
        };
        let mut buffer = vec![0; needed];
        let length = self.encode_into(format, &mut buffer)?;
        buffer.truncate(length);
        Ok(buffer)
    }

    /// Encodes the configuration in `format` into `buffer` and returns its length
    /// (`vnet_rss_config_encode`); [`Error::BufferTooSmall`] with the length needed, and
    /// nothing written, when it does not fit.
    pub fn encode_into(&self, format: Format, buffer: &mut [u8]) -> Result<usize> {
        let mut length = 0usize;
        let mut error = sys::vnet_rss_error::default();
        let pointer = if buffer.is_empty() { ptr::null_mut() } else { buffer.as_mut_ptr() };
        // SAFETY: `pointer` is valid for `buffer.len()` bytes of writes (NULL with 0);
        // `length` and `error` are valid for writes.
        let code = unsafe {
            sys::vnet_rss_config_encode(self.raw.as_ptr(), format.raw(), pointer, buffer.len(), &mut length, &mut error)
        };
        if code == -ENOSPC {
            return Err(Error::BufferTooSmall { needed: length, capacity: buffer.len() });
        }
        check("vnet_rss_config_encode", code, Some(&error))?;
        Ok(length)
    }

    /// The scalar fields (`vnet_rss_config_fields` without table or key).
    pub fn fields(&self) -> Result<Fields> {
        Ok(Fields::from(&self.raw_fields()?))
    }

    fn raw_fields(&self) -> Result<sys::vnet_rss_fields> {
        let mut fields = sys::vnet_rss_fields::default();
        // SAFETY: `fields` is valid for writes; no table or key is asked for.
        let code = unsafe {
            sys::vnet_rss_config_fields(self.raw.as_ptr(), &mut fields, ptr::null_mut(), 0, ptr::null_mut(), 0)
        };
        check("vnet_rss_config_fields", code, None)?;
        Ok(fields)
    }

    /// The fields, the indirection table and the key (`vnet_rss_config_fields`).
    pub fn parts(&self) -> Result<Parts> {
        let sizes = self.raw_fields()?;
        let mut table = vec![0u16; sizes.indirection_table_length as usize];
        let mut key = vec![0u8; sizes.key_length as usize];
        let mut fields = sys::vnet_rss_fields::default();
        // SAFETY: `table` and `key` are valid for writes of their lengths, which are the
        // capacities passed; `fields` is valid for writes.
        let code = unsafe {
            sys::vnet_rss_config_fields(
                self.raw.as_ptr(),
                &mut fields,
                table.as_mut_ptr(),
                table.len(),
                key.as_mut_ptr(),
                key.len(),
            )
        };
        if code == -ENOSPC {
            // An immutable configuration does not grow between the two calls.
            return Err(Error::BufferTooSmall {
                needed: fields.indirection_table_length as usize,
                capacity: table.len(),
            });
        }
        check("vnet_rss_config_fields", code, None)?;
        Ok(Parts { fields: Fields::from(&fields), table, key })
    }

    /// A copy with `features` instead of its own (`vnet_rss_config_with_features`): a decoded
    /// virtio_net_rss_config has RSS only; with VIRTIO_NET_F_HASH_REPORT negotiated, add
    /// [`Features::HASH_REPORT`].
    pub fn with_features(&self, features: Features) -> Result<Config> {
        let mut out = ptr::null_mut();
        // SAFETY: `self.raw` is live; `out` is valid for writes.
        let code = unsafe { sys::vnet_rss_config_with_features(self.raw.as_ptr(), features.bits(), &mut out) };
        Config::from_out("vnet_rss_config_with_features", code, out, &sys::vnet_rss_error::default())
    }

    /// The C handle, valid while `self` lives (for calling vnet-rss-sys directly).
    pub fn as_ptr(&self) -> *const sys::vnet_rss_config {
        self.raw.as_ptr()
    }
}

impl From<&sys::vnet_rss_fields> for Fields {
    fn from(raw: &sys::vnet_rss_fields) -> Fields {
        Fields {
            features: Features(raw.features),
            hash_types: HashTypes(raw.hash_types),
            unclassified_queue: raw.unclassified_queue,
            max_tx_vq: raw.max_tx_vq,
        }
    }
}

impl Drop for Config {
    fn drop(&mut self) {
        // SAFETY: `self.raw` came from the library and is freed once, here; engines and
        // classifiers made from it keep their own copy.
        unsafe { sys::vnet_rss_config_free(self.raw.as_ptr()) }
    }
}
