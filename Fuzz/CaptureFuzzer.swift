// libFuzzer harness: any byte sequence as a capture file (pcap or pcapng) through the reader
// (libpcap underneath). Compiled into the VNetCapture module by scripts/fuzz.sh (target capture).
//
// The bytes go to a file in /dev/shm (libpcap reads paths); the reader must open it or throw
// a CaptureError, and hand every frame as a buffer that can be read whole. A crash or an
// AddressSanitizer report is a finding.
import Glibc

private let path = "/dev/shm/vnet-rss-capture-fuzz-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCapture(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(descriptor >= 0, "cannot write \(path)")
    var written = 0
    while written < size {
        let count = write(descriptor, data + written, size - written)
        precondition(count > 0)
        written += count
    }
    close(descriptor)
    defer { unlink(path) }

    guard let reader = try? CaptureReader(path: path) else { return 0 }
    var checksum: UInt8 = 0
    var last = 0
    _ = try? reader.forEachFrame { index, frame in
        precondition(index == last + 1)
        last = index
        for byte in frame { checksum &+= byte }
    }
    _ = checksum
    return 0
}
