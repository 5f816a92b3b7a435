import CVNetSIMD
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How a ``ToeplitzHasher`` computes, chosen when the key is prepared, never per frame; a method
/// the CPU lacks falls back to the byte tables. All give the same hashes.
public enum ToeplitzMethod: String, CaseIterable, Hashable, Sendable {
    /// One table lookup per input byte (pure Swift): everywhere. The portable fallback.
    case byteTables = "tables"
    /// One carry-less multiply (PCLMULQDQ) per 32-bit input word (C, `CVNetSIMD`): x86-64
    /// with PCLMULQDQ and SSE4.1. Inputs must be whole words, as every hash type's are.
    case carrylessMultiply = "clmul"
    /// One GF(2) affine product (GFNI) per eight key bytes, two tuples per pass in bulk (C,
    /// `CVNetSIMD`, Intel's published method): x86-64 with GFNI and AVX-512 F/BW/VL/VBMI.
    case gfni
    /// One input bit at a time with a sliding 32-bit key window, as QEMU's `net_toeplitz_add`,
    /// the kernel series and FreeBSD compute it: everywhere, and never chosen by default. The
    /// baseline the benchmarks compare against.
    case perBit = "per-bit"

    /// True when this CPU can run the method.
    public var isAvailable: Bool {
        switch self {
        case .byteTables, .perBit: true
        case .carrylessMultiply: ToeplitzMethod.clmulAvailable
        case .gfni: ToeplitzMethod.gfniAvailable
        }
    }

    private static let clmulAvailable = vnet_toeplitz_clmul_supported() == 1
    private static let gfniAvailable = vnet_toeplitz_gfni_supported() == 1

    /// The environment variable that overrides ``preferred`` (`tables`, `clmul` or `gfni`), for
    /// tests, benchmarks and operators comparing methods. An unknown or unavailable name is ignored.
    public static let overrideVariable = "VNET_RSS_TOEPLITZ"

    /// The method the engine uses unless told otherwise, decided once per process from CPUID:
    /// GFNI where the CPU has it, else the byte tables. The carry-less multiply is never chosen
    /// by default: it needs a call into C per hash, while the byte tables inline into the Swift
    /// datapath and run on every CPU, so it brings no consistent gain over them (`make bench`
    /// compares the methods).
    /// ``overrideVariable`` names another method.
    public static var preferred: ToeplitzMethod { chosen }

    private static let chosen: ToeplitzMethod = {
        if let name = unsafe getenv(overrideVariable).map({ unsafe String(cString: $0) }),
            let method = ToeplitzMethod(rawValue: name), method.isAvailable
        {
            return method
        }
        return gfniAvailable ? .gfni : .byteTables
    }()
}
