/// `struct virtio_net_hdr_v1_hash` (`include/uapi/linux/virtio_net.h`; docs/design.md, Header out):
/// the 20-byte header in front of each frame.
///
/// ```
/// u8 flags @0; u8 gso_type @1; le16 hdr_len @2; le16 gso_size @4; le16 csum_start @6;
/// le16 csum_offset @8; le16 num_buffers @10; le32 hash_value @12; le16 hash_report @16;
/// le16 padding @18
/// ```
///
/// The engine writes only `num_buffers` and the hash fields; the tap's own fields stay as the
/// kernel wrote them. All multi-byte fields are little-endian.
public struct VirtioNetHashHeader: Hashable, Sendable {
    /// `sizeof(struct virtio_net_hdr_v1_hash)`.
    public static let size = 20
    /// `sizeof(struct virtio_net_hdr_v1)`: the header without hash fields.
    public static let baseSize = 12
    /// `offsetof(struct virtio_net_hdr_v1, flags)`.
    public static let flagsOffset = 0
    /// `offsetof(struct virtio_net_hdr_v1, gso_type)`.
    public static let gsoTypeOffset = 1
    /// `offsetof(struct virtio_net_hdr_v1, hdr_len)`.
    public static let headerLengthOffset = 2
    /// `offsetof(struct virtio_net_hdr_v1, gso_size)`.
    public static let gsoSizeOffset = 4
    /// `offsetof(struct virtio_net_hdr_v1, csum_start)`.
    public static let checksumStartOffset = 6
    /// `offsetof(struct virtio_net_hdr_v1, csum_offset)`.
    public static let checksumOffsetOffset = 8
    /// `offsetof(struct virtio_net_hdr_v1, num_buffers)`.
    public static let numBuffersOffset = 10
    /// `offsetof(struct virtio_net_hdr_v1_hash, hash_value)`.
    public static let hashValueOffset = 12
    /// `offsetof(struct virtio_net_hdr_v1_hash, hash_report)`.
    public static let hashReportOffset = 16
    /// `offsetof(struct virtio_net_hdr_v1_hash, padding)`.
    public static let paddingOffset = 18

    /// `flags` (`VIRTIO_NET_HDR_F_*`).
    public var flags: UInt8 = 0
    /// `gso_type` (`VIRTIO_NET_HDR_GSO_*`).
    public var gsoType: UInt8 = 0
    /// `hdr_len`.
    public var headerLength: UInt16 = 0
    /// `gso_size`.
    public var gsoSize: UInt16 = 0
    /// `csum_start`.
    public var checksumStart: UInt16 = 0
    /// `csum_offset`.
    public var checksumOffset: UInt16 = 0
    /// `num_buffers`.
    public var numBuffers: UInt16 = 0
    /// `hash_value`.
    public var hash: UInt32 = 0
    /// `hash_report` (a `VIRTIO_NET_HASH_REPORT_*` value; kept raw so any header decodes).
    public var hashReport: UInt16 = 0
    /// `padding`.
    public var padding: UInt16 = 0

    /// A header with every field zero.
    public init() {}

    /// Decodes the first 20 bytes of `bytes`; `nil` when it is shorter.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= VirtioNetHashHeader.size else { return nil }
        func le16(_ offset: Int) -> UInt16 {
            unsafe UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
        flags = unsafe bytes[0]
        gsoType = unsafe bytes[1]
        headerLength = le16(2)
        gsoSize = le16(4)
        checksumStart = le16(6)
        checksumOffset = le16(8)
        numBuffers = le16(10)
        hash = unsafe UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        hashReport = le16(16)
        padding = le16(18)
    }

    /// Decodes the first 20 bytes of `bytes`; `nil` when it is shorter.
    public init?(decoding bytes: [UInt8]) {
        guard let header = unsafe bytes.withUnsafeBytes({ unsafe VirtioNetHashHeader(decoding: $0) }) else {
            return nil
        }
        self = header
    }

    /// The 20 bytes of the header.
    public var encoded: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: VirtioNetHashHeader.size)
        bytes[0] = flags
        bytes[1] = gsoType
        unsafe bytes.withUnsafeMutableBytes { raw in
            unsafe raw.storeBytes(of: headerLength.littleEndian, toByteOffset: 2, as: UInt16.self)
            unsafe raw.storeBytes(of: gsoSize.littleEndian, toByteOffset: 4, as: UInt16.self)
            unsafe raw.storeBytes(of: checksumStart.littleEndian, toByteOffset: 6, as: UInt16.self)
            unsafe raw.storeBytes(of: checksumOffset.littleEndian, toByteOffset: 8, as: UInt16.self)
            unsafe raw.storeBytes(of: numBuffers.littleEndian, toByteOffset: 10, as: UInt16.self)
            unsafe raw.storeBytes(of: hash.littleEndian, toByteOffset: 12, as: UInt32.self)
            unsafe raw.storeBytes(of: hashReport.littleEndian, toByteOffset: 16, as: UInt16.self)
            unsafe raw.storeBytes(of: padding.littleEndian, toByteOffset: 18, as: UInt16.self)
        }
        return bytes
    }

    /// A header a kernel with the series filled (it steered and hashed the frame): sets
    /// `num_buffers`, which the kernel leaves zero, and returns the hash and report it wrote.
    /// `packet` holds a header of `size` bytes and then the frame; nil when it is too short for
    /// a hash header, and then nothing is written.
    @inline(__always)
    public static func completeKernelReport(
        _ packet: UnsafeMutableRawBufferPointer, size: Int, numBuffers: UInt16 = 1
    ) -> (hash: UInt32, report: UInt16)? {
        guard size >= VirtioNetHashHeader.size, packet.count >= size, let header = packet.baseAddress else {
            return nil
        }
        unsafe header.storeBytes(of: numBuffers.littleEndian, toByteOffset: numBuffersOffset, as: UInt16.self)
        let hash = unsafe UInt32(littleEndian: header.loadUnaligned(fromByteOffset: hashValueOffset, as: UInt32.self))
        let report = unsafe UInt16(
            littleEndian: header.loadUnaligned(fromByteOffset: hashReportOffset, as: UInt16.self))
        return (hash, report)
    }

    /// Writes what the engine owns into a header of `size` bytes at `header`: `num_buffers` when
    /// `size >= 12`; `hash_value`, `hash_report` and a zero `padding` when `size >= 20`. Nothing
    /// else, and nothing at or past `header + size` (docs/design.md, Header out).
    @inline(__always)
    static func writeEngineFields(
        _ header: UnsafeMutableRawPointer, size: Int, numBuffers: UInt16, hashValue: UInt32, hashReport: UInt16
    ) {
        guard size >= baseSize else { return }
        unsafe header.storeBytes(of: numBuffers.littleEndian, toByteOffset: numBuffersOffset, as: UInt16.self)
        guard size >= VirtioNetHashHeader.size else { return }
        unsafe header.storeBytes(of: hashValue.littleEndian, toByteOffset: hashValueOffset, as: UInt32.self)
        unsafe header.storeBytes(of: hashReport.littleEndian, toByteOffset: hashReportOffset, as: UInt16.self)
        unsafe header.storeBytes(of: UInt16(0), toByteOffset: paddingOffset, as: UInt16.self)
    }
}
