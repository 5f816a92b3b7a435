#!/usr/bin/env python3
"""`make test-guest`: a real Linux guest behind stock QEMU says where each frame landed.

A Debian cloud kernel boots under QEMU (TCG) with a virtio-net device of QUEUES queue pairs on a
multi-queue tap this harness made in a network namespace of its own. The guest's init
(init.sh) sets its RSS configuration with ethtool, round by round, as an operator would
(the driver's default; a random key with an uneven table, `ethtool -X hkey ... weight ...`;
hash types narrowed, `ethtool -N ... rx-flow-hash ... sd`), and its observer (observer.c)
reports, for every frame, the receive queue its own virtio_net driver took it from, and the
frame's hash. The harness reads the configuration back from the guest (`ethtool -x`, `-n`),
rebuilds the control-queue command the driver sent from it, decodes that with the project's
decoder, sends crafted frames from the host side of the tap and compares.

Three boots, the same rounds and the same frames:
- qemu: `rss=on,hash=on`, the peer. The guest sets its configuration with ethtool; QEMU steers
  each frame in software (virtio_net_process_rss) and reports its hash. The harness reads the
  configuration back from the guest (`ethtool -x`, `-n`) and from QEMU (its trace event
  virtio_net_rss_enable), rebuilds the control-queue command the driver sent, and decodes it
  with the project's decoder: the decoded configuration must be the one the guest holds, and
  the one the device took. Where QEMU's queue or L4 hash differs from the project's, by frame
  class, is printed (docs/guest.md), not a failure.
- program: `rss=off`, so QEMU leaves each frame on the queue pair of the tap queue it arrived
  on. vnet-rss's steering program, over the same tap queues (vnet_rss_steering_create, then
  attach), steers by the configuration the guest set in the first boot, round by round, and
  every frame's guest queue must be the project's classifier's queue: "guest placement: N/N".
  (QEMU 7.2's own eBPF RSS does not load with libbpf 1.x, and with rss=on it steers in software
  whatever the tap queue, so this is the way to put vnet-rss's program under a stock QEMU 7.2.)
- ebpf: QEMU 10 (bookworm-backports, unpacked by scripts/qemu-program.py), `rss=on,hash=off`,
  started by `vnet-rss qemu-rss`, which loads the steering program's QEMU-layout build and hands
  QEMU its four descriptors (ebpf-rss-fds), as libvirt does. The guest sets its configuration
  with ethtool, QEMU writes it into the program's maps and attaches the program to the tap, and
  every frame's guest queue must be the classifier's for that configuration; QEMU's trace must
  show it took the descriptors and attached the program, never its software RSS. Skipped, and
  said so, where QEMU 10 cannot be fetched or no --cli is given.

Every frame's decision by the project's classifier is first checked against the independent
model (Fixtures/tools/rss_oracle.py).

Exit status: 0 when every check passed, 1 when one failed, 77 when a part is missing (no QEMU,
no kernel package): a skip, said as such, never a pass.
"""
import argparse
import ctypes
import fcntl
import json
import signal
import os
import queue
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import assets  # noqa: E402
import frames  # noqa: E402  (puts Fixtures/tools on the path)
import rss_oracle  # noqa: E402
import vnetrss  # noqa: E402

QUEUES = 4
GUEST_MAC = bytes.fromhex("525400123456")
ROUNDS = ["default", "weighted", "narrowed"]
TAP = "vnrsg0"
TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR = 0x0002, 0x1000, 0x0100, 0x4000
SKIP = 77


def enter_private_network():
    """This process moves into a network namespace of its own: the tap and every frame stay in
    it, and it goes when the process ends, also on failure."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def die_with_parent():
    """In QEMU's child before exec: killed when the harness dies, so no QEMU outlives it (and
    keeps the namespace alive)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def make_tap(queues):
    """A multi-queue tap with vnet headers, one fd per queue, up."""
    fds = []
    for _ in range(queues):
        fd = os.open("/dev/net/tun", os.O_RDWR)
        request = struct.pack("16sH", TAP.encode(), IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR) + bytes(22)
        fcntl.ioctl(fd, TUNSETIFF, request)
        fds.append(fd)
    subprocess.run(["ip", "link", "set", "dev", TAP, "up"], check=True)
    return fds


class Guest:
    """QEMU running the guest, its serial console read line by line."""

    def __init__(self, kernel, initramfs, fds, key, weights, device, log, launcher=("qemu-system-x86_64",),
                 environment=None):
        parameters = (f"console=ttyS0 quiet panic=-1 vnetrss.queues={QUEUES} vnetrss.key={key.hex(':')} "
                      f"vnetrss.weights={','.join(map(str, weights))}")
        command = [
            *launcher, "-accel", "tcg", "-m", "512", "-smp", str(QUEUES), "-display", "none",
            "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", kernel, "-initrd", initramfs,
            "-append", parameters, "-trace", "virtio_net_rss_*",
            "-netdev", f"tap,id=n0,fds={':'.join(map(str, fds))},vhost=off",
            "-device", device_argument(device),
        ]
        self.log = log
        # Without RSS on the device the guest's ethtool -X and -N fail, as they should.
        self.expect_failures = "rss=off" in device
        self.lines = queue.Queue()
        self.errors = []
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, pass_fds=fds, preexec_fn=die_with_parent,
                                        env=environment)
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors.append), daemon=True).start()

    def _read(self, stream, sink):
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.log.write(line + "\n")
            sink(line)

    def until(self, marker, seconds):
        """The console's lines up to the one that starts with `marker`; a line that says a guest
        command failed fails the run."""
        seen, deadline = [], time.monotonic() + seconds
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no '{marker}' from the guest in {seconds} s "
                                   f"(QEMU: {' | '.join(self.errors[-3:]) or 'running'})")
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                if self.process.poll() is not None:
                    raise TimeoutError(f"QEMU ended before '{marker}' ({' | '.join(self.errors[-3:])})")
                continue
            if re.match(r"guest: .* failed$", line) and not self.expect_failures:
                raise RuntimeError(f"the guest says: {line}")
            if line.startswith(marker):
                return seen
            seen.append(line)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


FLOW_TYPES = {"tcp4": ("IPv4", "TCPv4"), "udp4": ("IPv4", "UDPv4"), "tcp6": ("IPv6", "TCPv6"), "udp6": ("IPv6", "UDPv6")}


def guest_configuration(lines):
    """(hash types, table, key) the guest's driver holds, from its ethtool -x and -n output. The
    IP types have no flow of their own in ethtool: one is on where a flow of its IP version
    hashes the addresses (the driver never clears them: virtnet_set_hashflow)."""
    table, key, types = [], None, 0
    for index, line in enumerate(lines):
        row = re.match(r"\s+\d+:((?:\s+\d+)+)\s*$", line)
        if row:
            table += [int(entry) for entry in row.group(1).split()]
        if line.startswith("RSS hash key:"):
            key = bytes.fromhex(lines[index + 1].replace(":", ""))
        flow = re.match(r"guest: flow (\w+) (.*)", line)
        if flow:
            fields = flow.group(2)
            network, transport = FLOW_TYPES[flow.group(1)]
            if "IP SA" in fields and "IP DA" in fields:
                types |= vnetrss.HASH_TYPES[network]
                if "L4 bytes 0 & 1" in fields and "L4 bytes 2 & 3" in fields:
                    types |= vnetrss.HASH_TYPES[transport]
    if not table or key is None:
        raise RuntimeError("the guest printed no indirection table or key")
    return types, table, key


def device_configurations(errors):
    """(hash types, table length, key length) of every RSS command QEMU took, in order, from its
    trace event virtio_net_rss_enable."""
    found = []
    for line in list(errors):
        match = re.search(r"virtio_net_rss_enable (?:nic=\S+ )?hashes 0x([0-9a-f]+), table of (\d+), key of (\d+)", line)
        if match:
            found.append((int(match.group(1), 16), int(match.group(2)), int(match.group(3))))
    return found


def weighted_table(weights, length):
    """The table `ethtool -X ... weight W...` asks for: entry i goes to the queue whose share
    of the weights' sum covers i (fill_indir_table in ethtool's ethtool.c)."""
    table, total, partial, queue_index = [], sum(weights), 0, 0
    for entry in range(length):
        while entry >= length * partial // total:
            queue_index += 1
            partial += weights[queue_index - 1]
        table.append(queue_index - 1)
    return table


def inject(batch):
    """Sends the frames into the tap from the host side, paced so the guest (TCG) keeps up."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sender:
        sender.bind((TAP, 0))
        for index, (_, _, frame) in enumerate(batch):
            sender.send(frame)
            if index % 16 == 15:
                time.sleep(0.02)


def observed(lines):
    """{id: (queue, hash)} from the observer's lines."""
    found = {}
    for line in lines:
        match = re.match(r"frame (\d+) (\d+) ([0-9a-f]{8})$", line)
        if match:
            found[int(match.group(1))] = (int(match.group(2)), int(match.group(3), 16))
    return found


DEVICES = {"qemu": "rss=on,hash=on", "program": "rss=off", "ebpf": "rss=on,hash=off,ebpf-rss-fds"}


def device_argument(device):
    """The -device argument: QEMU's key=value form, or JSON where ebpf-rss-fds (a list, which only
    JSON gives) is wanted, its list left to `vnet-rss qemu-rss` to fill in."""
    if "ebpf-rss-fds" not in device:
        return f"virtio-net-pci,netdev=n0,mq=on,vectors={2 * QUEUES + 2},{device},mac={GUEST_MAC.hex(':')}"
    return ('{"driver":"virtio-net-pci","netdev":"n0","mq":true,"vectors":%d,"rss":true,"hash":false,'
            '"mac":"%s","ebpf-rss-fds":@EBPF_RSS_FDS@}' % (2 * QUEUES + 2, GUEST_MAC.hex(":")))


def run_device(mode, library, kernel, initramfs, fds, key, weights, per_class, seed, log, configurations=None,
               launcher=("qemu-system-x86_64",), environment=None):
    """One boot: the rounds. Under "qemu" and "ebpf" the guest's configurations are read back,
    decoded and checked; under "program" `configurations` (the guest's, from the qemu boot)
    steer the program. Returns the per-round results."""
    guest = Guest(kernel, initramfs, fds, key, weights, DEVICES[mode], log=log, launcher=launcher,
                  environment=environment)
    results, previous = [], None
    try:
        for number, name in enumerate(ROUNDS):
            lines = guest.until(f"guest: round {name} ready", 300)
            if mode in ("qemu", "ebpf"):
                types, table, guest_key = read_back(guest, name, number, lines, library)
                check_round(name, (types, table, guest_key), previous, key, weights)
                previous = (types, table, guest_key)
            else:
                types, table, guest_key = configurations[number]
            command = vnetrss.rss_command(types, table, guest_key, unclassified_queue=0, max_tx_vq=QUEUES)
            configuration = library.decode(command)
            steering = None
            try:
                steering = configuration.steer(fds, QUEUES) if mode == "program" else None
                batch = frames.round_frames(seed * 10 + number, per_class, GUEST_MAC, first_id=number * 100000)
                expected = {identifier: configuration.decide(frame, QUEUES) for identifier, _, frame in batch}
                # The classifier against the independent model (Fixtures/tools/rss_oracle.py), frame by frame.
                for identifier, frame_class, frame in batch:
                    value, report, queue_index = rss_oracle.decide(frame, key=guest_key, types=types, table=table,
                                                                   queues=QUEUES)
                    if (queue_index, value, report) != expected[identifier]:
                        raise RuntimeError(f"{frame_class} frame {identifier}: the classifier says "
                                           f"{expected[identifier]}, the independent model {(queue_index, value, report)}")
                # Every fanout member joined: before, a frame could go to a member of a smaller group.
                guest.until("observer: ready", 60)
                inject(batch)
                seen = observed(guest.until(f"guest: round {name} end", 300))
            finally:
                if steering:
                    steering.close()
                configuration.close()
            results.append(Round(name, types, table, guest_key, batch, expected, seen))
        guest.until("guest: finished", 60)
    finally:
        guest.stop()
    if mode == "ebpf":
        check_ebpf_took(guest.errors)
    return results


def check_ebpf_took(errors):
    """QEMU took the four descriptors (virtio_net_rss_load, nfds=4), attached that program to the
    tap (virtio_net_rss_attach_ebpf with a program fd), and never fell back to its software RSS,
    which would re-steer every frame itself."""
    text = "\n".join(errors)
    if "nfds=4" not in text or not re.search(r"virtio_net_rss_attach_ebpf \S+ prog-fd=\d+", text):
        raise RuntimeError("QEMU did not take and attach the program it was handed (ebpf-rss-fds)")
    if "fallback to software RSS" in text:
        raise RuntimeError("QEMU fell back to its software RSS")


def check_round(name, configuration, previous, key, weights):
    """What each round's ethtool command must have left in the guest's driver: the weighted
    round the harness's key and the table its weights give; the narrowed round the weighted
    round's types without TCPv4 and UDPv6, the rest the same."""
    types, table, guest_key = configuration
    if name == "weighted":
        if guest_key != key or table != weighted_table(weights, len(table)):
            raise RuntimeError(f"round weighted: the guest holds key {guest_key.hex()} and table {table}, "
                               f"not ethtool -X's key {key.hex()} and weights {weights}")
    if name == "narrowed":
        narrowed = previous[0] & ~(vnetrss.HASH_TYPES["TCPv4"] | vnetrss.HASH_TYPES["UDPv6"])
        if (types, table, guest_key) != (narrowed, previous[1], previous[2]):
            raise RuntimeError(f"round narrowed: types 0x{types:x}, not 0x{narrowed:x}, or the table or key moved")


def read_back(guest, name, number, lines, library):
    """The configuration the guest set, as its driver holds it (ethtool) and as QEMU took it
    (the trace: round `number` sent its command number `number` or later), checked against the
    project's decoding of the command rebuilt from it."""
    types, table, key = guest_configuration(lines[-200:])
    deadline = time.monotonic() + 5  # QEMU's trace comes on another stream
    while len(device_configurations(guest.errors)) <= number and time.monotonic() < deadline:
        time.sleep(0.1)
    commands = device_configurations(guest.errors)
    if len(commands) <= number:
        raise RuntimeError(f"round {name}: QEMU took {len(commands)} RSS commands, not one per round")
    if commands[-1] != (types, len(table), len(key)):
        raise RuntimeError(f"round {name}: the guest holds types 0x{types:x}, {len(table)} entries, a "
                           f"{len(key)}-byte key; the device took {commands[-1]}")
    decoded = library.decode(vnetrss.rss_command(types, table, key, unclassified_queue=0, max_tx_vq=QUEUES))
    fields = decoded.fields()
    decoded.close()
    if fields != (types, table, key, 0):
        raise RuntimeError(f"round {name}: the decoder read {fields}, not the guest's configuration")
    print(f"guest configuration ({name}): types 0x{types:x}, {len(table)} entries over queues "
          f"{sorted(set(table))}, key {key[:4].hex()}..; QEMU took the same; the decoder reads it back")
    return types, table, key


class Round:
    def __init__(self, name, types, table, key, batch, expected, seen):
        self.name, self.types, self.table, self.key = name, types, table, key
        self.batch, self.expected, self.seen = batch, expected, seen
        self.received = [(i, c) for i, c, _ in batch if i in seen]
        self.placed = [(i, c) for i, c in self.received if seen[i][0] == expected[i][0]]
        self.lost = len(batch) - len(self.received)
        self.l4 = [(i, c) for i, c in self.received if expected[i][2] in vnetrss.L4_REPORTS]
        self.l4_equal = [(i, c) for i, c in self.l4 if seen[i][1] == expected[i][1]]

    def disagreements(self):
        """{class: (disagreeing, received)} for the queue."""
        by_class = {}
        for identifier, name in self.received:
            wrong, total = by_class.get(name, (0, 0))
            by_class[name] = (wrong + (self.seen[identifier][0] != self.expected[identifier][0]), total + 1)
        return {name: counts for name, counts in by_class.items() if counts[0]}


def report_placement(results, label):
    """Prints each round's placement; True when a frame landed off its queue or was lost."""
    failed = False
    for result in results:
        received = len(result.received)
        print(f"guest placement ({result.name}{',' + label if label else ''}): {len(result.placed)}/{received}, "
              f"{result.lost} lost")
        for name, (wrong, total) in sorted(result.disagreements().items()):
            print(f"  {name}: {wrong} of {total} on another queue")
        failed |= len(result.placed) != received or result.lost != 0 or received == 0
    return failed


def qemu_with_ebpf_rss_fds(cache):
    """QEMU 10 (ebpf-rss-fds) from bookworm-backports, unpacked by scripts/qemu-program.py,
    or None where it cannot be fetched."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
    import importlib
    fetcher = importlib.import_module("qemu-program")
    try:
        binary, _ = fetcher.fetch_binary(os.path.join(cache, "qemu"))
    except (subprocess.CalledProcessError, OSError, IndexError):
        return None
    return binary if os.access(binary, os.X_OK) else None


def write_results(path, results):
    """Every frame of every round: its class, the project's decision and what the guest saw."""
    document = [{"round": r.name, "hash_types": r.types, "key": r.key.hex(), "table": r.table,
                 "frames": [{"id": i, "class": c, "frame": f.hex(), "expected": r.expected[i],
                             "seen": r.seen.get(i)} for i, c, f in r.batch]} for r in results]
    with open(path, "w") as handle:
        json.dump(document, handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", required=True, help="libvnetrss.so")
    parser.add_argument("--cache", required=True, help="where the guest's parts are fetched and built")
    parser.add_argument("--per-class", type=int, default=40, help="frames per frame class and round")
    parser.add_argument("--seed", type=int, default=None, help="frames and the weighted round's key")
    parser.add_argument("--skip-status", type=int, default=SKIP, help="the exit status of a skip (77)")
    parser.add_argument("--cli", help="the vnet-rss command, whose qemu-rss starts QEMU 10 with the program")
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        print("test-guest: SKIPPED: needs root (a tap, a network namespace, BPF)")
        return arguments.skip_status
    if shutil.which("qemu-system-x86_64") is None:
        print("test-guest: SKIPPED: no qemu-system-x86_64 (apt-get install qemu-system-x86)")
        return arguments.skip_status
    arguments.cache = os.path.abspath(arguments.cache)
    try:
        root = assets.fetch(arguments.cache)
        initramfs = assets.initramfs(arguments.cache, root, assets.observer(arguments.cache),
                                     os.path.join(assets.HERE, "init.sh"))
        kernel = assets.kernel(root)
    except assets.Unavailable as missing:
        print(f"test-guest: SKIPPED: {missing}")
        return arguments.skip_status
    seed = arguments.seed if arguments.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    key = bytes(rng.getrandbits(8) for _ in range(40))
    weights = [1, 2, 3, 4]
    print(f"test-guest: seed {seed} (--seed {seed} repeats the frames and the key), {QUEUES} queue pairs, "
          f"{len(frames.CLASSES) * arguments.per_class} frames a round, kernel {os.path.basename(kernel)}")
    library = vnetrss.Library(arguments.library)
    enter_private_network()
    fds = make_tap(QUEUES)
    failed = False
    log_path = os.path.join(arguments.cache, "console.log")
    with open(log_path, "w") as log:
        started = time.monotonic()
        peer = run_device("qemu", library, kernel, initramfs, fds, key, weights, arguments.per_class, seed, log)
        for result in peer:
            print(f"qemu software RSS ({result.name}): {len(result.placed)}/{len(result.received)} on the project's "
                  f"queue, {len(result.l4_equal)}/{len(result.l4)} L4 hashes equal, {result.lost} lost")
            for name, (wrong, total) in sorted(result.disagreements().items()):
                print(f"  {name}: {wrong} of {total} on another queue")
            failed |= not result.received
        print(f"test-guest: qemu boot, {time.monotonic() - started:.0f} s")
        write_results(os.path.join(arguments.cache, "qemu-frames.json"), peer)
        started = time.monotonic()
        configurations = [(r.types, r.table, r.key) for r in peer]
        steered = run_device("program", library, kernel, initramfs, fds, key, weights, arguments.per_class, seed, log,
                             configurations)
        failed |= report_placement(steered, "")
        print(f"test-guest: program boot, {time.monotonic() - started:.0f} s")
        write_results(os.path.join(arguments.cache, "program-frames.json"), steered)
        qemu10 = qemu_with_ebpf_rss_fds(arguments.cache)
        if qemu10 is None or arguments.cli is None:
            print("test-guest: QEMU with ebpf-rss-fds: SKIPPED (no QEMU 10 from bookworm-backports, or no --cli)")
        else:
            started = time.monotonic()
            launcher = (arguments.cli, "qemu-rss", "--", qemu10, "-L", "/usr/share/qemu", "-L", "/usr/share/seabios")
            # QEMU 10's own modules are not unpacked: it loads none (not bookworm's 7.2 ones).
            environment = {**os.environ, "QEMU_MODULE_DIR": os.path.join(arguments.cache, "no-qemu-modules")}
            ebpf = run_device("ebpf", library, kernel, initramfs, fds, key, weights, arguments.per_class, seed, log,
                              launcher=launcher, environment=environment)
            failed |= report_placement(ebpf, " QEMU 10, ebpf-rss-fds")
            print(f"test-guest: QEMU 10 boot with vnet-rss's program as its eBPF RSS, "
                  f"{time.monotonic() - started:.0f} s")
            write_results(os.path.join(arguments.cache, "ebpf-frames.json"), ebpf)
    print(f"test-guest: {'FAILED' if failed else 'passed'} (console: {log_path})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
