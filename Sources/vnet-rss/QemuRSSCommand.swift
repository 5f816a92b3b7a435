import ArgumentParser
import Glibc
import VNetTap

/// `vnet-rss qemu-rss -- QEMU ARGS`: the privileged manager's part of QEMU's eBPF RSS. Loads the
/// steering program's QEMU-layout build and its three maps, and starts QEMU with the four
/// descriptors, as libvirt hands QEMU its program (`ebpf-rss-fds`), so a QEMU that runs without
/// BPF privilege steers with vnet-rss's program instead of its own.
struct QemuRSSCommand: ParsableCommand {
    static let placeholder = "@EBPF_RSS_FDS@"

    static let configuration = CommandConfiguration(
        commandName: "qemu-rss",
        abstract: "Start QEMU with vnet-rss's steering program as its eBPF RSS program (ebpf-rss-fds).",
        discussion: """
            Loads the QEMU-layout build of the steering program (bpf/steering.bpf.c with \
            VNET_STEERING_QEMU_LAYOUT: QEMU's configuration, key and table maps, which QEMU \
            writes in place), then executes QEMU ARGS with the program and its three maps open \
            (not close-on-exec) and every \(placeholder) in ARGS replaced by their numbers as \
            the JSON list ebpf-rss-fds takes, ["PROGRAM","CONFIG","KEY","TABLE"] (the order \
            QEMU's ebpf_rss_load_fds takes), for a -device given in JSON, as libvirt gives it. \
            Needs BPF privilege (CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON); QEMU itself needs none. QEMU 9 and \
            later take ebpf-rss-fds. Example:
              vnet-rss qemu-rss -- qemu-system-x86_64 ... -netdev tap,id=n0,queues=4,ifname=tap0 \\
                -device '{"driver":"virtio-net-pci","netdev":"n0","mq":true,"rss":true,"ebpf-rss-fds":\(placeholder)}'
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "QEMU's command line, after --.")
    var qemu: [String] = []

    func run() throws {
        let arguments = qemu.first == "--" ? Array(qemu.dropFirst()) : qemu
        guard let binary = arguments.first else { throw ValidationError("no QEMU command line after --") }
        guard arguments.contains(where: { $0.contains(Self.placeholder) }) else {
            throw ValidationError("no \(Self.placeholder) in QEMU's arguments: name where the ebpf-rss-fds list goes")
        }
        let program: QEMUProgram
        do {
            program = try QEMUProgram.vnetRSS()
        } catch {
            throw CommandFailure(
                "\(error) (loading the steering program needs CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON)")
        }
        let descriptors = program.ebpfRSSDescriptors
        for descriptor in descriptors {
            // Inherited by QEMU: the one place these descriptors leave this process.
            guard fcntl(descriptor, F_SETFD, 0) == 0 else {
                // strerror's text, copied at once.
                throw CommandFailure(unsafe "fcntl(\(descriptor), F_SETFD, 0): \(String(cString: strerror(errno)))")
            }
        }
        let list = "[" + descriptors.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let command = arguments.map { $0.replacingOccurrences(of: Self.placeholder, with: list) }
        // The program stays loaded for QEMU's lifetime: the exec keeps its descriptors.
        withExtendedLifetime(program) {
            // C strings for execvp, NULL-terminated; it returns (and they are freed) only on failure.
            var pointers = unsafe command.map { unsafe strdup($0) } + [nil]
            unsafe execvp(binary, &pointers)
            // By index: swift-format 6.3 mangles `for unsafe pointer in`.
            for index in unsafe pointers.indices { unsafe free(pointers[index]) }
        }
        // strerror's text, copied at once.
        throw CommandFailure(unsafe "execvp \(binary): \(String(cString: strerror(errno)))")
    }
}
