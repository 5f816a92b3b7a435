import Testing
import VNetTestSupport
import VNetFixtures
@testable import VNetRSS

@Suite("Flow parser")
struct FlowParserTests {
    func parse(_ frame: [UInt8]) -> ParsedFlow { unsafe frame.withUnsafeBytes { unsafe FlowParser.parse($0) } }

    @Test("TCPv4: addresses at 26 and 30, ports at 34")
    func tcpv4Offsets() {
        let flow = parse(TestFrames.tcpv4())
        #expect(flow.network == .ipv4)
        #expect(flow.transport == .tcp)
        #expect(flow.sourceAddressOffset == 26)
        #expect(flow.destinationAddressOffset == 30)
        #expect(flow.portsOffset == 34)
        #expect(!flow.isFragment && !flow.hasExtensionHeaders)
    }

    @Test("each VLAN tag moves the network header by 4; a third tag is unclassified")
    func vlanTags() {
        #expect(parse(TestFrames.tcpv4(tags: [0x8100])).sourceAddressOffset == 30)
        #expect(parse(TestFrames.tcpv4(tags: [0x88A8, 0x8100])).sourceAddressOffset == 34)
        #expect(parse(TestFrames.tcpv4(tags: [0x88A8, 0x8100, 0x8100])) == .unclassified)
    }

    @Test("TCPv6: addresses at 22 and 38, ports at 54")
    func tcpv6Offsets() {
        let flow = parse(TestFrames.tcpv6())
        #expect(flow.network == .ipv6)
        #expect(flow.transport == .tcp)
        #expect(flow.sourceAddressOffset == 22)
        #expect(flow.destinationAddressOffset == 38)
        #expect(flow.portsOffset == 54)
    }

    @Test(
        "IPv4 fragment bits: MF or a non-zero offset drop the ports",
        arguments: [
            (UInt16(0x0000), false), (0x4000, false), (0x2000, true), (0x0001, true), (0x1FFF, true), (0x8000, false),
        ])
    func ipv4Fragments(field: UInt16, fragment: Bool) {
        var frame = TestFrames.tcpv4()
        frame[20] = UInt8(field >> 8)
        frame[21] = UInt8(field & 0xFF)
        let flow = parse(frame)
        #expect(flow.isFragment == fragment)
        #expect(flow.transport == (fragment ? .none : .tcp))
    }

    @Test("every prefix of a frame parses without reading past it")
    func prefixes() {
        for frame in [TestFrames.tcpv4(tags: [0x8100]), TestFrames.tcpv6()] {
            for length in 0...frame.count {
                // Copy into an exact-size allocation so AddressSanitizer sees any overread.
                let flow = unsafe Array(frame[..<length]).withUnsafeBytes { unsafe FlowParser.parse($0) }
                if flow.transport != .none { #expect(flow.portsOffset + 4 <= length) }
                if flow.network != .none { #expect(flow.destinationAddressOffset + flow.addressLength <= length) }
            }
        }
    }

    @Test("random bytes after an IP ethertype never leave the frame")
    func randomBytes() {
        var random = SeededGenerator(seed: 0xF00D)
        for round in 0..<50_000 {
            var frame = random.bytes(Int.random(in: 0...160, using: &random))
            if frame.count >= 16 {
                let etherTypes: [[UInt8]] = [[0x08, 0x00], [0x86, 0xDD], [0x81, 0x00], [0x88, 0xA8]]
                frame.replaceSubrange(12..<14, with: etherTypes[round % 4])
                frame[14] = round % 2 == 0 ? 0x45 : 0x60 | (frame[14] & 0x0F)
            }
            let flow = unsafe frame.withUnsafeBytes { unsafe FlowParser.parse($0) }
            let inside = { (offset: Int, width: Int) in offset + width <= frame.count }
            if flow.network != .none {
                #expect(
                    inside(flow.sourceAddressOffset, flow.addressLength)
                        && inside(flow.destinationAddressOffset, flow.addressLength))
            }
            if flow.homeAddressOffset != 0 { #expect(inside(flow.homeAddressOffset, 16)) }
            if flow.routingAddressOffset != 0 { #expect(inside(flow.routingAddressOffset, 16)) }
            if flow.transport != .none { #expect(inside(flow.portsOffset, 4)) }
        }
    }

    @Test("the catalogue's IPv6 extension-header frames parse as their names say")
    func catalogue() throws {
        let frames = try CatalogueFrames.load()
        let hbh = try #require(frames["ipv6-hbh-tcp"])
        #expect(parse(hbh).hasExtensionHeaders && parse(hbh).transport == .tcp)
        let home = parse(try #require(frames["ipv6-dstopts-home-tcp"]))
        #expect(home.homeAddressOffset == 14 + 40 + 2 + 4 + 2)
        let routed = parse(try #require(frames["ipv6-routing2-udp"]))
        #expect(routed.routingAddressOffset == 14 + 40 + 8 && routed.transport == .udp)
        let chain8 = parse(try #require(frames["ipv6-chain-8-tcp"]))
        #expect(chain8.transport == .tcp)
        let chain9 = parse(try #require(frames["ipv6-chain-9-past-bound-tcp"]))
        #expect(chain9.network == .ipv6 && chain9.transport == .none && chain9.hasExtensionHeaders)
        let fragment = parse(try #require(frames["ipv6-first-fragment-tcp"]))
        #expect(fragment.isFragment && fragment.transport == .none)
        #expect(parse(try #require(frames["ipv6-ext-truncated"])) == .unclassified)
        let esp = parse(try #require(frames["ipv6-esp"]))
        #expect(esp.network == .ipv6 && !esp.hasExtensionHeaders && esp.transport == .none)
    }
}

/// The catalogue capture's frames by name, read from the pcap's records without libpcap (the
/// VNetCapture tests cover the libpcap path).
enum CatalogueFrames {
    static func load() throws -> [String: [UInt8]] {
        let directory = FixtureLocation.fixtures() + "/captures/"
        let names = try String(contentsOfFile: directory + "catalogue.frames.txt", encoding: .utf8)
            .split(separator: "\n").map { String($0.split(separator: "\t")[2]) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "catalogue.pcap")))
        var frames: [String: [UInt8]] = [:]
        var offset = 24
        for name in names {
            let length = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8
            frames[name] = Array(bytes[(offset + 16)..<(offset + 16 + length)])
            offset += 16 + length
        }
        return frames
    }
}

import Foundation
