#!/usr/bin/env python3
"""Boots the bundled Linux on GlassVM and on QEMU side by side and prints the times to the prompt.

    boot_bench.py --glassvm build/native/cli/glassvm --kernel Image --initrd initramfs.cpio.gz

Each emulator runs on a pseudo-terminal (both treat it as an interactive console). The clock
starts when the process is spawned and stops when the busybox prompt appears; the benchmark then
types `poweroff -f` (which powers off at once) and waits for the emulator to exit. GlassVM's
--stats line gives the guest instructions it executed, nearly all of them before the prompt.
The peak host memory of each emulator is its peak resident set (VmHWM in /proc/PID/status),
read while it runs, up to its exit. With --soak ELF it also runs the hostile-guest soak
(assets/soak/soak.c) on GlassVM and prints its time, operations and peak host memory. Runs alternate between the emulators so that a noisy neighbour hurts
both alike; the median of the runs is reported. A benchmark, not a test: it prints numbers.
"""
import argparse
import os
import pty
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time

PROMPT = re.compile(rb"~ # $|/ # $", re.M)
STATS = re.compile(rb"glassvm: (\d+) instructions")


def peak_rss_kib(pid):
    """The process's peak resident set so far (VmHWM), in KiB; 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def boot(cmd, timeout_s):
    """Runs cmd on a pty; returns (seconds to the prompt, all output, peak RSS in KiB) or raises
    RuntimeError."""
    master, slave = pty.openpty()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    out = b""
    prompt_s = None
    sent = False
    peak_kib = 0
    deadline = start + timeout_s
    try:
        while True:
            now = time.monotonic()
            if now > deadline:
                raise RuntimeError(f"{cmd[0]}: no prompt within {timeout_s} s; output tail:\n"
                                   + out[-600:].decode(errors="replace"))
            peak_kib = max(peak_kib, peak_rss_kib(proc.pid))
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            if prompt_s is None and PROMPT.search(out[-64:]):
                prompt_s = time.monotonic() - start
            if prompt_s is not None and not sent:
                os.write(master, b"poweroff -f\r")  # at once: no init shutdown sequence
                sent = True
            if proc.poll() is not None and not ready:
                break
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    if prompt_s is None:
        raise RuntimeError(f"{cmd[0]} exited with {proc.returncode} before the prompt; tail:\n"
                           + out[-600:].decode(errors="replace"))
    return prompt_s, out, peak_kib


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--glassvm", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--soak", help="the soak guest (guests/soak.elf)")
    ap.add_argument("--soak-ops", type=int, default=1000000)
    args = ap.parse_args()

    common = ["-m", args.mem, "-kernel", args.kernel, "-initrd", args.initrd,
              "-append", "console=ttyS0"]
    emulators = {
        "glassvm (built-in SBI)": [args.glassvm, "--stats"] + common,
        "glassvm (OpenSBI)": None,
        "qemu-system-riscv64": None,
    }
    fw = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
    if os.path.exists(fw):
        emulators["glassvm (OpenSBI)"] = [args.glassvm, "--stats", "-bios", fw] + common
    if args.qemu:
        emulators["qemu-system-riscv64"] = [args.qemu, "-M", "virt", "-nographic",
                                            "-bios", "default"] + common
    emulators = {k: v for k, v in emulators.items() if v}

    times = {name: [] for name in emulators}
    peaks = {name: [] for name in emulators}
    insns = {}
    for _ in range(args.runs):
        for name, cmd in emulators.items():
            seconds, out, peak_kib = boot(cmd, args.timeout)
            times[name].append(seconds)
            peaks[name].append(peak_kib)
            m = STATS.findall(out)
            if m:
                insns[name] = int(m[-1])

    print(f"boot to the busybox prompt, median of {args.runs} runs, -m {args.mem}")
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, t in med.items():
        line = f"  {name:24s} {t:7.3f} s"
        if name in insns:
            line += f"   {insns[name] / 1e6:8.1f} M guest instructions," \
                    f" {insns[name] / t / 1e6:6.1f} M/s over the boot"
        print(line)
    for name, p in peaks.items():
        print(f"  {name:24s} peak host memory (resident) {max(p) / 1024:6.1f} MiB")
    q = med.get("qemu-system-riscv64")
    if q:
        for name, t in med.items():
            if name != "qemu-system-riscv64":
                print(f"  {name} / qemu: {t / q:.2f}x")
    if args.soak:
        return soak(args)
    return 0


def soak(args):
    """The hostile-guest soak on GlassVM with the RISC-V IOMMU, edu-dma, virtio-rng and a disk."""
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".img") as disk:
        disk.write(bytes(1 << 20))
        disk.flush()
        cmd = [args.glassvm, "-m", "64M", "-bios", "none", "-device", "riscv-iommu-sys",
               "-device", "edu-dma,ats=on", "-device", "virtio-rng-device",
               "-drive", f"file={disk.name},format=raw,if=virtio", "-kernel", args.soak,
               "-append", f"soak.ops={args.soak_ops}"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, peak_rss_kib(proc.pid))
            time.sleep(0.02)
        out = proc.stdout.read().decode(errors="replace")
        seconds = time.monotonic() - start
    summary = re.findall(r"soak: \d+ operations: [^\n]*", out)
    if proc.returncode != 0 or not summary or "soak: survived" not in out:
        print(f"soak: FAILED (exit {proc.returncode}); output tail:\n{out[-600:]}")
        return 1
    print(f"hostile-guest soak ({args.soak_ops} operations) on glassvm: {seconds:.2f} s, "
          f"peak host memory (resident) {peak / 1024:.1f} MiB")
    print(f"  {summary[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
