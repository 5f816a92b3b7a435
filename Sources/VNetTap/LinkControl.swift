import CLibNL
import Glibc
import SystemPackage

/// A link's state as rtnetlink reports it.
public struct LinkInfo: Hashable, Sendable {
    public let name: String
    public let index: Int32
    public let mtu: UInt32
    /// `IFF_UP` is set.
    public let isUp: Bool
    /// `IFLA_NUM_TX_QUEUES` / `IFLA_NUM_RX_QUEUES`: the queues the device was created with.
    public let transmitQueues: UInt32
    public let receiveQueues: UInt32
    /// Interface counters (`IFLA_STATS64`). On a tap, frames the kernel sends to the tap's fds
    /// are *transmitted* (tx), frames written into the fds are *received* (rx).
    public let receivedPackets: UInt64
    public let transmittedPackets: UInt64
    public let receiveDrops: UInt64
    public let transmitDrops: UInt64
}

/// Link control over rtnetlink with libnl-3: up and down, MTU, queue counts and counters,
/// moving into a network namespace. No `ip` command is run.
///
/// The netlink socket belongs to the network namespace of the thread that creates this object.
// @safe: it owns its netlink socket and cache (OpaquePointer), freed in deinit.
@safe
public final class LinkControl {
    private let socket: OpaquePointer

    /// Connects a `NETLINK_ROUTE` socket.
    public init() throws(TapError) {
        guard let socket = unsafe nl_socket_alloc() else {
            throw TapError(.netlink, device: "netlink", errno: .noMemory, detail: "nl_socket_alloc")
        }
        let result = unsafe nl_connect(socket, NETLINK_ROUTE)
        guard result == 0 else {
            unsafe nl_socket_free(socket)
            throw LinkControl.error("nl_connect", device: "netlink", result)
        }
        unsafe self.socket = unsafe socket
    }

    deinit { unsafe nl_socket_free(socket) }

    /// The current state of `name`.
    public func info(_ name: String) throws(TapError) -> LinkInfo {
        let link = unsafe try fetch(name)
        defer { unsafe rtnl_link_put(link) }
        return unsafe LinkInfo(
            name: name, index: rtnl_link_get_ifindex(link), mtu: rtnl_link_get_mtu(link),
            isUp: rtnl_link_get_flags(link) & UInt32(IFF_UP) != 0,
            transmitQueues: rtnl_link_get_num_tx_queues(link), receiveQueues: rtnl_link_get_num_rx_queues(link),
            receivedPackets: rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS),
            transmittedPackets: rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS),
            receiveDrops: rtnl_link_get_stat(link, RTNL_LINK_RX_DROPPED),
            transmitDrops: rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED))
    }

    /// Brings `name` up or down (`IFF_UP`).
    public func setUp(_ name: String, _ up: Bool) throws(TapError) {
        unsafe try change(name, step: up ? "link up" : "link down") { request in
            if up {
                unsafe rtnl_link_set_flags(request, UInt32(IFF_UP))
            } else {
                unsafe rtnl_link_unset_flags(request, UInt32(IFF_UP))
            }
        }
    }

    /// Sets the MTU of `name`.
    public func setMTU(_ name: String, _ mtu: UInt32) throws(TapError) {
        unsafe try change(name, step: "mtu \(mtu)") { unsafe rtnl_link_set_mtu($0, mtu) }
    }

    /// Sets the transmit queue length of `name` (`txqueuelen`): for a tap, how many frames each
    /// queue holds for its reader before the kernel drops.
    public func setTransmitQueueLength(_ name: String, _ length: UInt32) throws(TapError) {
        unsafe try change(name, step: "txqueuelen \(length)") { unsafe rtnl_link_set_txqlen($0, length) }
    }

    /// Moves `name` into the network namespace open at `namespaceDescriptor`
    /// (a `/proc/PID/ns/net` or `/run/netns/NAME` fd).
    public func moveToNamespace(_ name: String, namespaceDescriptor: Int32) throws(TapError) {
        unsafe try change(name, step: "move to netns fd \(namespaceDescriptor)") {
            unsafe rtnl_link_set_ns_fd($0, namespaceDescriptor)
        }
    }

    private func fetch(_ name: String) throws(TapError) -> OpaquePointer {
        var link: OpaquePointer?
        let result = unsafe rtnl_link_get_kernel(socket, 0, name, &link)
        guard result == 0, let link = unsafe link else {
            throw LinkControl.error("rtnl_link_get_kernel", device: name, result)
        }
        return unsafe link
    }

    private func change(_ name: String, step: String, _ edit: (OpaquePointer) -> Void) throws(TapError) {
        let link = unsafe try fetch(name)
        defer { unsafe rtnl_link_put(link) }
        guard let request = unsafe rtnl_link_alloc() else {
            throw TapError(.netlink, device: name, errno: .noMemory, detail: "rtnl_link_alloc")
        }
        defer { unsafe rtnl_link_put(request) }
        unsafe edit(request)
        let result = unsafe rtnl_link_change(socket, link, request, 0)
        guard result == 0 else { throw LinkControl.error(step, device: name, result) }
    }

    /// libnl answers with its own negative codes; `nl_syserr2nlerr` maps errno one way only, so
    /// keep libnl's text and map the common codes back to an errno.
    private static func error(_ step: String, device: String, _ code: Int32) -> TapError {
        let text = unsafe String(cString: nl_geterror(code))
        let errno: Errno =
            switch -code {
            case NLE_OBJ_NOTFOUND, NLE_NODEV: Errno(rawValue: ENODEV)
            case NLE_PERM: .notPermitted
            case NLE_NOMEM: .noMemory
            case NLE_BUSY: .resourceBusy
            case NLE_EXIST: .fileExists
            case NLE_RANGE, NLE_INVAL: .invalidArgument
            default: .ioError
            }
        return TapError(.netlink, device: device, errno: errno, detail: "\(step): \(text)")
    }
}
