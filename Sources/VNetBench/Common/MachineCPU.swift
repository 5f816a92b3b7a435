import Glibc

/// The machine's busy CPU time, every CPU (user, nice, system, irq, softirq), from the first
/// line of /proc/stat: softirq work the kernel defers to ksoftirqd counts too.
enum MachineCPU {
    static func busySeconds() -> Double {
        guard let file = unsafe fopen("/proc/stat", "r") else { return 0 }
        defer { unsafe fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        guard unsafe fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ").dropFirst().compactMap { Double($0) }
        // user nice system idle iowait irq softirq ...
        guard fields.count >= 7 else { return 0 }
        let ticks = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
