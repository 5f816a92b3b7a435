import CVNetSIMD

/// How a ``ToeplitzHasher`` computes, chosen when the key is prepared; a method the CPU lacks
/// falls back to the byte tables.
public enum ToeplitzMethod: String, CaseIterable, Hashable, Sendable {
    /// One table lookup per input byte (pure Swift): everywhere.
    case byteTables = "tables"
    /// One carry-less multiply (PCLMULQDQ) per 32-bit input word (C, `CVNetSIMD`): x86-64
    /// with PCLMULQDQ and SSE4.1. Inputs must be whole words, as every hash type's are.
    case carrylessMultiply = "clmul"

    /// True when this CPU can run the method.
    public var isAvailable: Bool {
        switch self {
        case .byteTables: true
        case .carrylessMultiply: ToeplitzMethod.clmulAvailable
        }
    }

    private static let clmulAvailable = vnet_toeplitz_clmul_supported() == 1

    /// The method the engine uses unless told otherwise: the byte tables. On this project's
    /// machine (AMD EPYC, 2.6 GHz) they measured faster than the carry-less multiply both alone
    /// (2.7 against 4 to 5 ns for 12 bytes) and inside the classifier (11 against 17.6 ns per IPv4
    /// TCP frame), because they inline into the Swift datapath and the C kernel is a call.
    public static var preferred: ToeplitzMethod { .byteTables }
}
