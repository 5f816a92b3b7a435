/// One frame class's figures in `vnet-rss bench --program-cost`: the median over the rounds of the kernel's mean ns per run.
package struct ProgramCostRow {
    let name: String
    let tables: Double
    let bitSerial: Double
    let empty: Double
    /// The steering program's QEMU-layout build (the maps QEMU writes, tables built per CPU).
    let qemuLayout: Double
    /// QEMU's program, where it was given.
    let qemu: Double?

    /// How many times cheaper the tables are, whole runs.
    var ratio: Double { bitSerial / tables }
    /// The same above the facility's floor: the programs' own work.
    var ratioAboveFloor: Double { (bitSerial - empty) / max(tables - empty, 0.001) }
    /// How many times cheaper the QEMU-layout build is than QEMU's program, whole runs.
    var qemuRatio: Double? { qemu.map { $0 / qemuLayout } }
}
