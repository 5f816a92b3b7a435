/// A frame as a VMM's `readv(2)` left it in guest memory: the `struct iovec` elements it gave
/// `readv`, and the byte count `readv` returned. The bytes start with the vnet header (a
/// device's `virtio_net_hdr_v1` or `virtio_net_hdr_v1_hash`), then the Ethernet frame, and may
/// be split anywhere, between or inside header and frame, one-byte elements included.
///
/// Describes memory it does not own; valid while the elements are. The guest may write its
/// buffers at any time: ``Classifier/classify(_:headerSize:arrivalQueue:prefix:)`` copies what
/// it reads once, before use, and never reads a byte twice.
// @unsafe: it holds raw pointers into memory it does not own; the caller vouches for them.
@unsafe
public struct GuestFrame {
    /// The first of `count` elements, laid out as `struct iovec`.
    let elements: UnsafeRawPointer?
    /// Elements at `elements`.
    let count: Int
    /// Bytes `readv` returned: the header and the frame.
    let length: Int

    /// `count` elements at `elements` (a `struct iovec` array: from C, or ``IOVector``s) holding
    /// `length` bytes, what `readv(2)` returned for them.
    public init(elements: UnsafeRawPointer?, count: Int, length: Int) {
        unsafe self.elements = elements
        unsafe self.count = count
        unsafe self.length = length
    }

    /// `count` ``IOVector``s at `vectors` holding `length` bytes.
    public init(_ vectors: UnsafeBufferPointer<IOVector>, length: Int) {
        unsafe self.init(elements: UnsafeRawPointer(vectors.baseAddress), count: vectors.count, length: length)
    }

    /// Element `index`'s base and length, read from the array's bytes.
    @inline(__always)
    func element(_ index: Int) -> (base: UnsafeMutableRawPointer?, length: Int) {
        let at = unsafe elements.unsafelyUnwrapped + index &* IOVector.size
        return unsafe (
            at.loadUnaligned(as: UnsafeMutableRawPointer?.self),
            at.loadUnaligned(fromByteOffset: IOVector.lengthOffset, as: Int.self)
        )
    }

    /// Checks the description before any guest byte is read: the element count, and that the
    /// elements hold `length` bytes with a base wherever one of those bytes lies.
    func check(headerSize: Int) throws(GuestFrameError) {
        guard GuestFrameError.supports(headerSize: headerSize) else {
            throw GuestFrameError(.headerSize, value: headerSize, limit: VirtioNetHashHeader.size)
        }
        guard unsafe count >= 0, unsafe count <= IOVector.maximumCount else {
            throw unsafe GuestFrameError(.elementCount, value: count, limit: IOVector.maximumCount)
        }
        guard unsafe length >= 0 else { throw unsafe GuestFrameError(.length, value: length, limit: 0) }
        guard unsafe length > 0 else { return }
        guard unsafe elements != nil else { throw GuestFrameError(.elementCount, value: 0, limit: 1) }
        var held = 0
        let elementCount = unsafe count
        for index in 0..<elementCount {
            let (base, elementLength) = unsafe element(index)
            guard elementLength >= 0 else {
                throw GuestFrameError(.elementLength, value: elementLength, limit: 0, element: index)
            }
            guard unsafe elementLength == 0 || base != nil else {
                throw GuestFrameError(.elementBase, value: 0, limit: 1, element: index)
            }
            held &+= elementLength
            if unsafe held >= length || held < 0 { return }
        }
        throw unsafe GuestFrameError(.length, value: length, limit: held)
    }
}
