"""The guest's parts, made at test time from Debian packages: a kernel and its virtio modules
(linux-image-*-cloud-amd64), busybox (busybox-static), ethtool with the libraries it needs, and
the observer (observer.c, built static). Nothing binary is committed; the packages are fetched
with `apt-get download` into the cache directory and unpacked there, never installed."""
import glob
import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = ["busybox-static", "ethtool", "libmnl0"]
# The modules the guest needs; their dependencies come from each module's own `depends=` (its
# .modinfo section), since the unpacked package has no modules.dep.
MODULES = ["virtio_pci", "virtio_net"]


class Unavailable(Exception):
    """A part this machine cannot provide: the harness skips, naming it."""


def run(*command, cwd=None):
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kernel_package():
    """The newest linux-image-6.1.*-cloud-amd64 apt knows (the guest kernel the issue names)."""
    listing = subprocess.run(
        ["apt-cache", "search", "--names-only", r"^linux-image-6\.1\.[0-9.-]*-cloud-amd64$"],
        check=True, capture_output=True, text=True).stdout.split()
    names = sorted({word for word in listing if word.startswith("linux-image-6.1.")},
                   key=lambda name: [int(part) for part in re.findall(r"\d+", name)])
    if not names:
        raise Unavailable("no linux-image-6.1.*-cloud-amd64 package in apt's lists")
    return names[-1]


def fetch(cache):
    """Downloads and unpacks the packages into cache/root (once); returns the root."""
    cache = os.path.abspath(cache)
    root = os.path.join(cache, "root")
    if os.path.exists(os.path.join(root, ".complete")):
        return root
    os.makedirs(cache, exist_ok=True)
    for name in [kernel_package()] + PACKAGES:
        if not glob.glob(os.path.join(cache, name.replace(":", "%3a") + "_*.deb")):
            try:
                run("apt-get", "download", name, cwd=cache)
            except subprocess.CalledProcessError as error:
                raise Unavailable(f"apt-get download {name}: {error.stderr.decode().strip()}") from error
    for package in glob.glob(os.path.join(cache, "*.deb")):
        run("dpkg-deb", "-x", package, root)
    open(os.path.join(root, ".complete"), "w").close()
    return root


def kernel(root):
    images = sorted(glob.glob(os.path.join(root, "boot", "vmlinuz-*")))
    if not images:
        raise Unavailable("the kernel package holds no vmlinuz")
    return images[-1]


def libraries(binary, root):
    """The shared objects `binary` needs, found in the unpacked packages or on the host (the guest
    shares the host's glibc: both are Debian 12)."""
    output = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True,
                            env={**os.environ, "LD_LIBRARY_PATH": os.path.join(root, "usr/lib/x86_64-linux-gnu")}).stdout
    found = []
    for line in output.splitlines():
        if "not found" in line:
            raise Unavailable(f"{os.path.basename(binary)} needs {line.split()[0]}, in no package fetched")
        parts = line.split()
        path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if path.startswith("/"):
            found.append(path)
    return found


def modules(root):
    """The module files for MODULES and what they depend on, each after its dependencies, from
    the release of the kernel the guest boots."""
    release = os.path.basename(kernel(root))[len("vmlinuz-"):]
    paths = {}
    for path in glob.glob(os.path.join(root, "lib/modules", release, "kernel", "**", "*.ko"), recursive=True):
        paths[os.path.basename(path)[:-3].replace("-", "_")] = path
    ordered = []

    def visit(name):
        if name in ordered:
            return
        if name not in paths:
            raise Unavailable(f"module {name} is not in the kernel package")
        with open(paths[name], "rb") as handle:
            found = re.search(rb"depends=([a-z0-9_,-]*)", handle.read())
        for dependency in filter(None, found.group(1).decode().split(",")) if found else []:
            visit(dependency.replace("-", "_"))
        ordered.append(name)

    for name in MODULES:
        visit(name)
    return [(name, paths[name]) for name in ordered]


def newc(entries):
    """A cpio archive in the kernel's initramfs format (newc), from (path, mode, data) entries,
    data None for a directory and a str for a symlink's target."""
    out = bytearray()

    def header(name, mode, size, inode):
        fields = [inode, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
        return b"070701" + b"".join(b"%08X" % field for field in fields)

    def pad():
        out.extend(b"\0" * (-len(out) % 4))

    for inode, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        body = data.encode() if isinstance(data, str) else (data or b"")
        out += header(name, mode, len(body), inode) + name.encode() + b"\0"
        pad()
        out += body
        pad()
    return bytes(out)


def initramfs(cache, root, observer_binary, init_script):
    """The guest's initramfs: busybox, ethtool and its libraries, the virtio modules, the observer
    and the init script; written to cache/initramfs.cpio."""
    directories = ["bin", "sbin", "lib", "lib64", "lib/x86_64-linux-gnu", "lib/modules", "proc", "sys", "dev", "tmp"]
    entries = [(d, 0o040755, None) for d in directories]

    def add(path, source, mode=0o100755):
        with open(source, "rb") as handle:
            entries.append((path, mode, handle.read()))

    add("bin/busybox", os.path.join(root, "bin/busybox"))
    entries.append(("bin/sh", 0o120777, "busybox"))
    ethtool = os.path.join(root, "sbin/ethtool")
    add("sbin/ethtool", ethtool)
    for library in libraries(ethtool, root):
        target = library.lstrip("/")
        if target.startswith("lib64/"):
            add(target, library)
        else:
            add("lib/x86_64-linux-gnu/" + os.path.basename(library), library)
    order = modules(root)
    for name, path in order:
        add(f"lib/modules/{name}.ko", path, 0o100644)
    entries.append(("lib/modules/order", 0o100644, " ".join(name for name, _ in order) + "\n"))
    add("observer", observer_binary)
    add("init", init_script)
    path = os.path.join(cache, "initramfs.cpio")
    with open(path, "wb") as handle:
        handle.write(newc(entries))
    return path


def observer(cache):
    """observer.c, built static for the guest."""
    if shutil.which("gcc") is None:
        raise Unavailable("no gcc to build the observer")
    binary = os.path.join(cache, "observer")
    run("gcc", "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o", binary, os.path.join(HERE, "observer.c"))
    return binary
