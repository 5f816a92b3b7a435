import CVNetSIMD

/// How a ``ToeplitzHasher`` computes: chosen once, from the CPU, when the key is prepared.
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

    /// The fastest method this CPU runs.
    public static var best: ToeplitzMethod { clmulAvailable ? .carrylessMultiply : .byteTables }
}
