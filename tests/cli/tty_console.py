#!/usr/bin/env python3
"""The console on a terminal: raw mode, keys to the guest, C-a x to quit.

    tty_console.py DEMO_ELF COMMAND...

Runs COMMAND -bios none -kernel DEMO_ELF (the native glassvm, or node glassvm-node.js) on a
pseudo-terminal with the demo guest: types an `echo` command, then C-a x, and checks that the
echo came back, that the emulator said it terminates on the user's request and exited with
status 0, and that the terminal's mode was put back. Bounded
by a wall-clock guard against a hung process only; nothing here is timed.
"""
import os
import pty
import select
import subprocess
import sys
import termios
import time


def main():
    elf, cmd = sys.argv[1], sys.argv[2:]
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen(cmd + ["-bios", "none", "-kernel", elf], stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True, start_new_session=True)
    out = b""
    deadline = time.monotonic() + 60

    def read_until(pattern):
        nonlocal out
        while pattern not in out:
            if time.monotonic() > deadline:
                fail(f"timed out waiting for {pattern!r}")
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    fail(f"the terminal closed before {pattern!r}")
                out += chunk

    def fail(message):
        print(f"FAIL: {message}\n--- terminal output:\n{out.decode(errors='replace')}")
        if proc.poll() is None:
            proc.kill()
        sys.exit(1)

    read_until(b"glassvm> ")
    # Raw mode: the guest echoes what it gets; ICRNL is off, so Enter is a CR.
    os.write(master, b"echo hello-tty\r")
    read_until(b"\nhello-tty\r\n")
    os.write(master, b"\x01x")
    read_until(b"terminating on user request (C-a x)")
    try:
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        fail("C-a x did not end the emulator")
    if status != 0:
        fail(f"exit status {status} after C-a x, expected 0")
    if termios.tcgetattr(slave) != before:
        fail("the terminal's mode was not restored")
    print(f"ok: echo through the raw terminal, C-a x quit with status 0, mode restored")


if __name__ == "__main__":
    main()
