/// The ioctl request numbers of the tap hash interface, computed with the asm-generic `_IOC`
/// encoding (x86-64, arm64, riscv64).
///
/// The kernel series was never merged and numbers 228 to 231 are claimed by other proposals too
/// (docs/design.md, Kernel offload), so they are grouped by the series version that defined them
/// and must be probed, never assumed.
public enum TunIoctl {
    /// The `'T'` ioctl type of the tun driver.
    public static let type: UInt32 = 0x54

    /// `_IOC(dir, type, nr, size)`: `dir << 30 | size << 16 | type << 8 | nr`.
    public static func ioc(direction: UInt32, type: UInt32, number: UInt32, size: UInt32) -> UInt32 {
        direction << 30 | size << 16 | type << 8 | number
    }

    /// `_IOC_WRITE` (1): user to kernel.
    public static let write: UInt32 = 1
    /// `_IOC_READ` (2): kernel to user.
    public static let read: UInt32 = 2

    /// `TUNSETIFF`, `_IOW('T', 202, int)` = 0x400454CA.
    public static let setIff = ioc(direction: write, type: type, number: 202, size: 4)
    /// `TUNSETSTEERINGEBPF`, `_IOR('T', 224, int)` = 0x800454E0.
    public static let setSteeringEBPF = ioc(direction: read, type: type, number: 224, size: 4)

    /// The v5 to v11 interface.
    public enum V5 {
        /// `TUNGETVNETHASHCAP`, `_IOR('T', 228, struct tun_vnet_hash)` = 0x800854E4.
        public static let getVnetHashCap = ioc(
            direction: read, type: type, number: 228, size: UInt32(TunVnetHashLayout.hashSize))
        /// `TUNSETVNETHASH`, `_IOW('T', 229, struct tun_vnet_hash)` = 0x400854E5.
        public static let setVnetHash = ioc(
            direction: write, type: type, number: 229, size: UInt32(TunVnetHashLayout.hashSize))
    }

    /// The v12 split interface (all four use `_IOR`, even the setters).
    public enum V12 {
        /// `TUNGETVNETHASHTYPES`, `_IOR('T', 228, __u32)` = 0x800454E4.
        public static let getVnetHashTypes = ioc(direction: read, type: type, number: 228, size: 4)
        /// `TUNSETVNETREPORTINGAUTOMQ`, `_IOR('T', 229, __u32)` = 0x800454E5.
        public static let setVnetReportingAutomq = ioc(direction: read, type: type, number: 229, size: 4)
        /// `TUNSETVNETREPORTINGRSS`, `_IOR('T', 230, struct tun_vnet_rss)` = 0x800854E6.
        public static let setVnetReportingRSS = ioc(
            direction: read, type: type, number: 230, size: UInt32(TunVnetRSSLayout.size))
        /// `TUNSETVNETRSS`, `_IOR('T', 231, struct tun_vnet_rss)` = 0x800854E7.
        public static let setVnetRSS = ioc(
            direction: read, type: type, number: 231, size: UInt32(TunVnetRSSLayout.size))
    }
}
