/// The bytes of one guest frame that the parser may read, copied out of guest memory once, and
/// where the header's hash fields lie in the frame's elements.
///
/// A guest can rewrite its receive buffers while its VMM classifies them, so the parser never
/// reads guest memory: it reads this copy, and each byte of the frame is read from the guest at
/// most once. The copy is made in two steps: the first ``firstCopy`` bytes (every IPv4 frame
/// and every IPv6 frame without extension headers is decided by them), then, only for an IPv6
/// frame whose extension headers may go on past them, the rest up to ``capacity`` (the
/// farthest byte the parser reads, ``FlowParser/maximumReach``).
///
/// Allocated once (about 16 KiB) and reused for every frame: one per thread that classifies,
/// never shared by two at once.
// @safe: it owns its storage (freed in deinit); every copy is bounded by the storage's capacity,
// and every guest read by the element lengths the frame's check proved.
@safe
public final class FramePrefix: @unchecked Sendable {
    // @unchecked: one thread at a time uses it (the documented contract); it holds no reference.

    /// Bytes held: ``FlowParser/maximumReach``.
    public static let capacity = FlowParser.maximumReach
    /// Bytes copied first: past the farthest byte read in an IPv4 frame (two VLAN tags, a
    /// 60-byte header and the ports: 86) and in an IPv6 frame without extension headers (66).
    public static let firstCopy = 128

    let storage: UnsafeMutableRawPointer
    /// Frame bytes copied so far, and the frame bytes (after the header) there are.
    private(set) var copied = 0
    private(set) var available = 0
    /// Where the next guest byte is: element, and offset in it.
    private var element = 0
    private var offset = 0
    /// Where header byte 12 (`hash_value`) is, when the header has hash fields.
    private(set) var fieldsElement = -1
    private(set) var fieldsOffset = 0

    /// A prefix buffer; allocate one per classifying thread, once.
    public init() {
        unsafe storage = .allocate(byteCount: FramePrefix.capacity, alignment: 16)
    }

    deinit { unsafe storage.deallocate() }

    /// Starts on `frame`, already checked: walks its header (finding the hash fields where the
    /// header has them and the frame holds the whole header) without reading it, and copies the
    /// first ``firstCopy`` bytes of the Ethernet frame. False when the frame is shorter than its
    /// header: then nothing was read.
    @inline(__always)
    func begin(_ frame: GuestFrame, headerSize: Int) -> Bool {
        copied = 0
        element = 0
        offset = 0
        fieldsElement = -1
        guard unsafe frame.length >= headerSize else {
            available = 0
            return false
        }
        available = unsafe frame.length - headerSize
        if headerSize >= VirtioNetHashHeader.size {
            unsafe skip(frame, VirtioNetHashHeader.hashValueOffset)
            unsafe settle(frame)
            fieldsElement = element
            fieldsOffset = offset
            unsafe skip(frame, headerSize - VirtioNetHashHeader.hashValueOffset)
        } else {
            unsafe skip(frame, headerSize)
        }
        unsafe extend(frame, to: FramePrefix.firstCopy)
        return true
    }

    /// Copies on until `limit` frame bytes (at most ``capacity``, at most the frame) are held.
    @inline(__always)
    func extend(_ frame: GuestFrame, to limit: Int) {
        let target = min(limit, available, FramePrefix.capacity)
        while copied < target {
            let (base, length) = unsafe frame.element(element)
            let run = min(length - offset, target - copied)
            if run > 0 {
                // SAFETY: check() proved element `element` has a base and `length` bytes, and
                // `run` stays inside both it and the storage (copied + run <= capacity).
                unsafe (storage + copied).copyMemory(from: base.unsafelyUnwrapped + offset, byteCount: run)
                copied += run
                offset += run
            }
            if offset == length {
                element += 1
                offset = 0
            }
        }
    }

    /// The copy, as the parser reads it.
    @inline(__always)
    var view: FrameView { unsafe FrameView(UnsafeRawBufferPointer(start: storage, count: copied)) }

    /// Writes `fields` at header byte 12, across elements as they fall; the frame's header has
    /// hash fields (``fieldsElement`` is set). Writes exactly 8 bytes of the header, nothing else.
    @inline(__always)
    func write(_ fields: HashFields, into frame: GuestFrame) {
        var bytes = fields.littleEndianBytes
        var at = fieldsElement
        var inElement = fieldsOffset
        var written = 0
        unsafe withUnsafeBytes(of: &bytes) { source in
            while written < HashFields.size {
                let (base, length) = unsafe frame.element(at)
                let run = min(length - inElement, HashFields.size - written)
                if run > 0 {
                    // SAFETY: the header's 20 bytes lie inside the frame's checked elements, and
                    // bytes 12-19 start at (fieldsElement, fieldsOffset).
                    unsafe (base.unsafelyUnwrapped + inElement).copyMemory(
                        from: source.baseAddress.unsafelyUnwrapped + written, byteCount: run)
                    written += run
                }
                at += 1
                inElement = 0
            }
        }
    }

    /// Moves the cursor `count` bytes on without reading them.
    @inline(__always)
    private func skip(_ frame: GuestFrame, _ count: Int) {
        var left = count
        while left > 0 {
            let (_, length) = unsafe frame.element(element)
            let run = min(length - offset, left)
            offset += run
            left -= run
            if offset == length {
                element += 1
                offset = 0
            }
        }
    }

    /// Moves the cursor past empty elements and element ends, onto the next byte.
    @inline(__always)
    private func settle(_ frame: GuestFrame) {
        while unsafe element < frame.count, unsafe frame.element(element).length == offset {
            element += 1
            offset = 0
        }
    }
}
