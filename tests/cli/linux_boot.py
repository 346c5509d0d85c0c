#!/usr/bin/env python3
"""Boots the bundled Linux to its busybox prompt, runs commands, and powers it off.

    linux_boot.py GLASSVM IMAGE INITRD [--js GLASSVM_NODE_JS [--jit on|off]] [--bios FILE]
                  [--max-insns N] [--reboot]
                  [--disk rw|readonly|snapshot --workdir DIR] [--iommu [virtio] [--trace-iommu]]

The run is bounded by guest instructions (--max-insns, exit status 3 if the guest needs more);
the wall-clock timeout only guards against a hung host process. Passes when the prompt appears,
each command prints what it must, and `poweroff` ends the emulator with status 0.
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

PROMPT = b"~ # "


class Console:
    def __init__(self, proc, timeout_s):
        self.proc = proc
        self.out = b""
        self.pos = 0  # output before this was consumed by an earlier read_until
        self.deadline = time.monotonic() + timeout_s

    def read_until(self, pattern):
        """Reads output until `pattern` appears after what was already consumed; returns the
        output from there up to the end of the match (later bytes stay for the next call)."""
        start = self.pos
        fd = self.proc.stdout.fileno()
        while pattern not in self.out[start:]:
            if time.monotonic() > self.deadline:
                fail(f"timed out waiting for {pattern!r}", self)
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                if self.proc.poll() is not None:
                    rest = os.read(fd, 1 << 16)
                    if not rest:
                        fail(f"glassvm exited with status {self.proc.returncode} before "
                             f"{pattern!r}", self)
                    self.out += rest
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk and self.proc.poll() is not None:
                fail(f"glassvm exited with status {self.proc.returncode} before {pattern!r}",
                     self)
            self.out += chunk
        self.pos = self.out.index(pattern, start) + len(pattern)
        return self.out[start:self.pos]

    def command(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()


def fail(message, console=None):
    print(f"FAIL: {message}")
    if console is not None:
        print("--- console output (tail):")
        print(console.out[-3000:].decode(errors="replace"))
        if console.proc.poll() is None:
            console.proc.kill()
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("glassvm")
    ap.add_argument("image")
    ap.add_argument("initrd")
    ap.add_argument("--bios")
    ap.add_argument("--max-insns", default="3000000000")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--reboot", action="store_true", help="also reboot and boot again")
    ap.add_argument("--sleep", action="store_true", help="check that `sleep 1` takes a second")
    ap.add_argument("--disk", choices=["rw", "readonly", "snapshot"],
                    help="attach a virtio-blk disk, read it and write it from Linux, and check "
                         "the image file afterwards")
    ap.add_argument("--iommu", nargs="?", const="riscv", choices=["riscv", "virtio"],
                    help="add -device riscv-iommu-sys (or virtio-iommu-device) and a virtio-rng, "
                         "and check that Linux's driver for it binds and puts the virtio-mmio "
                         "devices into translated (DMA) domains")
    ap.add_argument("--trace-iommu", action="store_true",
                    help="with --iommu: run with --trace-iommu -D FILE and check that the log "
                         "holds well-formed trace lines of the IOMMU's events, among them those "
                         "of the rng's DMA")
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--js", help="the wasm build: GLASSVM is node, and this the glassvm-node.js "
                                 "it runs")
    ap.add_argument("--jit", choices=["on", "off"], help="with --js: --jit=on or --jit=off")
    args = ap.parse_args()

    disk = None
    if args.disk:
        # A 1 MiB raw image: a marker in sector 0 for Linux to read; Linux writes sector 1.
        disk = os.path.join(args.workdir, f"linux-disk-{args.disk}.img")
        with open(disk, "wb") as f:
            f.write(b"GLASSVM-DISK-SECTOR-0".ljust(512, b"\0") + bytes(1024 * 1024 - 512))

    cmd = [args.glassvm]
    if args.js:
        cmd += ["--no-experimental-fetch", args.js]
        if args.jit:
            cmd += [f"--jit={args.jit}"]
    cmd += ["-m", "256M", "-kernel", args.image, "-initrd", args.initrd,
           "-append", "console=ttyS0", "--max-insns", args.max_insns]
    if args.bios:
        cmd += ["-bios", args.bios]
    if disk:
        opts = {"rw": "", "readonly": ",readonly=on", "snapshot": ",snapshot=on"}[args.disk]
        cmd += ["-drive", f"file={disk},format=raw,if=virtio{opts}"]
    if args.iommu == "riscv":
        cmd += ["-device", "riscv-iommu-sys", "-device", "virtio-rng-device"]
    elif args.iommu == "virtio":
        # The virtio-iommu takes a virtio-mmio slot of its own, after the rng's.
        cmd += ["-device", "virtio-rng-device", "-device", "virtio-iommu-device"]
    trace = None
    if args.trace_iommu:
        # The trace goes to the log (-D), so that it cannot cut into the console output.
        trace = os.path.join(args.workdir, "iommu-trace.log")
        cmd += ["--trace-iommu", "-D", trace]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    con = Console(proc, args.timeout)
    boot_log = con.read_until(PROMPT)
    for needed in (b"Linux version 7.", b"Run /init"):
        if needed not in boot_log:
            fail(f"the boot log lacks {needed!r}", con)

    if args.iommu:
        # The driver probes the IOMMU and attaches each endpoint named by `iommus` to a
        # translated (DMA) default domain: the kernel's DMA API maps every buffer through it
        # (IOMMU_DMA, assets/linux/patches/0001). riscv-iommu: queues, a device directory and a
        # page table per domain; virtio-iommu (patches/0002): ATTACH, then MAP/UNMAP requests.
        # The -device slots come first, from the last one down: the rng has 10008000, then the
        # virtio-iommu's own, then the disk.
        if args.iommu == "riscv":
            if b"riscv,iommu 3010000.iommu: using wire-signaled interrupts" not in boot_log:
                fail("Linux's riscv-iommu driver did not bind to iommu@3010000", con)
            nodes = [b"10008000.virtio_mmio"] + ([b"10007000.virtio_mmio"] if disk else [])
        else:
            if not re.search(rb"virtio_iommu virtio\d+: input address: 64 bits", boot_log):
                fail("Linux's virtio-iommu driver did not probe the virtio-iommu", con)
            nodes = [b"10008000.virtio_mmio"] + ([b"10006000.virtio_mmio"] if disk else [])
        for node in nodes:
            if b"platform " + node + b": Adding to iommu group" not in boot_log:
                fail(f"{node!r} was not added to an IOMMU group", con)
        con.command("ls /sys/class/iommu/*/devices/; head -c 16 /dev/hwrng | wc -c")
        out = con.read_until(PROMPT)
        if nodes[-1] not in out or b"\n16\r\n" not in out:
            fail("the virtio-rng behind the IOMMU did not answer", con)
        # One group per endpoint, each in a DMA domain (a kernel without IOMMU_DMA says
        # "identity": the device context would be Bare and no DMA would be translated).
        con.command("cat /sys/kernel/iommu_groups/*/type")
        types = con.read_until(PROMPT).split(b"\r\n")[1:-1]
        if types != [b"DMA"] * len(nodes):
            fail(f"the IOMMU groups' domain types are {types!r}, expected DMA for each of "
                 f"{len(nodes)} devices", con)

    con.command("cat /proc/cpuinfo")
    out = con.read_until(PROMPT)
    for needed in (b"isa\t\t: rv64imafdc", b"mmu\t\t: sv48", b"hart\t\t: 0"):
        if needed not in out:
            fail(f"/proc/cpuinfo lacks {needed!r}", con)

    con.command("echo $((6 * 7)); ls /")
    out = con.read_until(PROMPT)
    if b"42" not in out or b"proc" not in out:
        fail("the shell did not answer `echo $((6 * 7)); ls /`", con)

    if args.sleep:
        # Idle guest time is paced against the wall clock: `sleep 1` may not return sooner than
        # about a second of real time (only a lower bound: a loaded host may take longer).
        start = time.monotonic()
        con.command("sleep 1; echo slept")
        out = con.read_until(b"\nslept\r\n" + PROMPT)
        elapsed = time.monotonic() - start
        if elapsed < 0.9:
            fail(f"`sleep 1` returned after {elapsed:.3f} s of wall time", con)

    if disk:
        # Linux's own virtio-blk driver reads the marker and writes sector 1.
        con.command("dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 21; echo")
        out = con.read_until(PROMPT)
        if b"GLASSVM-DISK-SECTOR-0" not in out:
            fail("reading /dev/vda did not return the disk's first sector", con)
        con.command("echo GLASSVM-WRITTEN-BY-LINUX | dd of=/dev/vda bs=512 seek=1 conv=notrunc "
                    "&& sync; echo dd-status=$?")
        out = con.read_until(PROMPT)
        want = b"dd-status=1" if args.disk == "readonly" else b"dd-status=0"
        if want not in out:
            fail(f"writing /dev/vda: expected {want!r}", con)

    if args.reboot:
        # `reboot` resets the machine: the ROM, firmware, kernel and initramfs are put back and
        # Linux boots a second time in the same run.
        con.command("reboot")
        con.read_until(b"Linux version 7.")
        again = con.read_until(PROMPT)
        if b"Run /init" not in again:
            fail("after `reboot` Linux did not boot to its shell again", con)
        if args.iommu and b"Adding to iommu group" not in again:
            fail("after `reboot` the IOMMU did not come back (reset to ddtp Off)", con)

    con.command("poweroff")
    try:
        status = proc.wait(timeout=max(1.0, con.deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        fail("poweroff did not end the emulator", con)
    con.out += proc.stdout.read()
    if status != 0:
        fail(f"after poweroff glassvm exited with status {status}, expected 0", con)
    if disk:
        with open(disk, "rb") as f:
            data = f.read()
        written = data[512:512 + 25] == b"GLASSVM-WRITTEN-BY-LINUX\n"
        if args.disk == "rw" and not written:
            fail(f"the write did not reach {disk} after poweroff: {data[512:540]!r}")
        if args.disk != "rw" and data[512:1024] != bytes(512):
            fail(f"{args.disk}: the image file changed: {data[512:540]!r}")
    traced = ""
    if trace:
        # Linux's driver invalidates each endpoint's directory entry when it attaches it
        # (IODIR.INVAL_DDT): an UNMAP of that device's whole space, whoever listens.
        with open(trace, "rb") as f:
            lines = [l for l in f.read().decode(errors="replace").splitlines()
                     if l.startswith("iommu: ")]
        line_re = re.compile(r"^iommu: t=\d+\.\d{6}s (riscv-iommu|virtio-iommu-ep\d+) "
                             r"dev (\d+|-) (MAP|UNMAP|DEVIOTLB_UNMAP)( \(replay\))? "
                             r"iova 0x[0-9a-f]+-0x[0-9a-f]+ -> 0x[0-9a-f]+ perm (none|r|w|rw) "
                             r"\| (notifiers: none|to: .+ \| skipped: .+)$")
        bad = [l for l in lines if not line_re.match(l)]
        if bad:
            fail(f"malformed --trace-iommu lines: {bad[:3]!r}")
        # The rng's DMA (device 8, a 4 KiB page): riscv-iommu announces the IOTINVAL.VMA that
        # follows each unmap (and nothing else: it cannot see page-table writes); virtio-iommu
        # announces the MAP and the UNMAP requests.
        page = r"iova 0x([0-9a-f]*)000-0x\1fff "
        if args.iommu == "riscv":
            wanted = ["riscv-iommu dev 8 UNMAP iova 0x0-0xffffffffffffffff",
                      "riscv-iommu dev 8 UNMAP " + page]
            if disk:  # the disk's reads and writes (device 7) are unmapped page by page too
                wanted.append("riscv-iommu dev 7 UNMAP " + page)
        else:
            wanted = ["virtio-iommu-ep8 dev 8 MAP " + page, "virtio-iommu-ep8 dev 8 UNMAP " + page]
            if disk:
                wanted.append("virtio-iommu-ep6 dev 6 MAP " + page)
        for w in wanted:
            if not any(re.search(w, l) for l in lines):
                fail(f"the trace lacks {w!r}: {lines[:5]!r}")
        traced = f"{len(lines)} IOMMU events traced, "
    print(f"ok: booted to the prompt, ran commands, {'rebooted, ' if args.reboot else ''}"
          f"{traced}"
          f"powered off (status 0), "
          f"{len(con.out)} bytes of console output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
