import SystemPackage

/// A tap operation that failed: the step, the device, and the kernel's `Errno`.
public struct TapError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done.
    public enum Step: String, Hashable, Sendable {
        case openControlDevice = "open /dev/net/tun"
        case setInterface = "TUNSETIFF"
        case getInterface = "TUNGETIFF"
        case setHeaderSize = "TUNSETVNETHDRSZ"
        case setLittleEndian = "TUNSETVNETLE"
        case setOffload = "TUNSETOFFLOAD"
        case attachQueue = "TUNSETQUEUE attach"
        case detachQueue = "TUNSETQUEUE detach"
        case setNonBlocking = "fcntl O_NONBLOCK"
        case setHash = "TUNSETVNETHASH"
        case adoptCheck = "adopt"
        case read = "read"
        case startThread = "pthread_create"
        case ioUring = "io_uring"
        case epoll = "epoll"
        case eventfd = "eventfd"
        case netlink = "rtnetlink"
        case inject = "AF_PACKET"
        case loadProgram = "BPF_PROG_LOAD"
        case adoptProgram = "adopt steering program"
        case programMaps = "BPF_MAP_UPDATE_ELEM"
        case attachProgram = "TUNSETSTEERINGEBPF"
        case testRun = "BPF_PROG_TEST_RUN"
    }

    /// The step.
    public let step: Step
    /// The tap's name, or the fd when the name is not known yet.
    public let device: String
    /// The kernel's answer.
    public let errno: Errno
    /// More words where the errno alone does not explain (an adopted fd's flags, say).
    public let detail: String

    /// An error of `step` on `device`.
    public init(_ step: Step, device: String, errno: Errno, detail: String = "") {
        self.step = step
        self.device = device
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        "\(device): \(step.rawValue): \(errno)" + (detail.isEmpty ? "" : " (\(detail))")
    }
}
