#!/usr/bin/env python3
"""Saves the bundled Linux at its shell in one build and continues it in another.

    linux_snapshot.py GLASSVM IMAGE INITRD --workdir DIR [--node NODE]
                      [--save-js GLASSVM_NODE_JS] [--load-js GLASSVM_NODE_JS] [--jit on|off]
                      [--at-prompt]

The first run boots to the prompt, starts a busy loop, and stops at --max-insns with the
machine saved (--snapshot-save); with --at-prompt it saves as the prompt appears
(--snapshot-on-output), and the second run must show the saved screen first. The second run (--snapshot-load, the wasm build under node
when --load-js is given) interrupts the loop with Ctrl-C, answers a command and powers off
with status 0. A truncated copy of the snapshot must be refused with status 2 and a message.
Bounded by guest instructions; the timeouts only guard against a hung host process.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from linux_boot import PROMPT, Console, fail  # noqa: E402


def command(args, js, jit):
    cmd = [args.node, "--no-experimental-fetch", js] if js else [args.glassvm]
    if js and jit:
        cmd.append(f"--jit={jit}")
    return cmd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("glassvm")
    ap.add_argument("image")
    ap.add_argument("initrd")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--save-js")
    ap.add_argument("--load-js")
    ap.add_argument("--jit", choices=["on", "off"])
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--at-prompt", action="store_true",
                    help="save with --snapshot-on-output '~ # ' (at the idle prompt) instead, and "
                         "check that the restored run shows the boot log again first")
    args = ap.parse_args()
    snap = os.path.join(args.workdir, "linux.snap")
    if os.path.exists(snap):
        os.remove(snap)

    save = command(args, args.save_js, args.jit) + [
        "-m", "128M", "-kernel", args.image, "-initrd", args.initrd, "-append", "console=ttyS0",
        "--max-insns", "150000000", "--snapshot-save", snap]
    if args.at_prompt:
        save += ["--snapshot-on-output", PROMPT.decode()]
    proc = subprocess.Popen(save, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    con = Console(proc, args.timeout)
    con.read_until(PROMPT)
    if not args.at_prompt:
        # Keep the hart busy so that --max-insns ends the run (an idle shell would wait).
        con.command("while :; do :; done")
    con.read_until(b"saved a snapshot to ")
    want = 0 if args.at_prompt else 3
    if proc.wait(timeout=args.timeout) != want:
        fail(f"the saving run ended with status {proc.returncode}, not {want}", con)
    size = os.path.getsize(snap)
    print(f"snapshot: {size} bytes")

    load = command(args, args.load_js, args.jit) + ["--snapshot-load", snap,
                                                    "--max-insns", "200000000"]
    proc = subprocess.Popen(load, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    con = Console(proc, args.timeout)
    if args.at_prompt:
        # The screen comes back first: the boot log, then the prompt.
        shown = con.read_until(PROMPT)
        if b"Linux version 7." not in shown or b"Run /init" not in shown:
            fail("the restored run did not show the saved console first", con)
    else:
        con.proc.stdin.write(b"\x03")
    con.command("echo restored $((6*7))")
    con.read_until(b"restored 42")
    con.read_until(PROMPT)
    con.command("poweroff")
    if proc.wait(timeout=args.timeout) != 0:
        fail(f"poweroff after the restore ended with status {proc.returncode}", con)

    # Half a snapshot: refused, naming the file, with status 2.
    half = os.path.join(args.workdir, "half.snap")
    with open(snap, "rb") as f, open(half, "wb") as g:
        g.write(f.read()[: size // 2])
    r = subprocess.run(command(args, args.load_js, args.jit) + ["--snapshot-load", half],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=args.timeout)
    if r.returncode != 2 or b"half.snap" not in r.stderr or b"checksum" not in r.stderr:
        fail(f"a truncated snapshot gave status {r.returncode}: {r.stderr.decode()[-500:]}")
    print("PASS")


if __name__ == "__main__":
    main()
