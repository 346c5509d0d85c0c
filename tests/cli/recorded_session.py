#!/usr/bin/env python3
"""Records a session in one build and replays it in another, to the same state.

    recorded_session.py --record CMD --replay CMD --guest ELF --workdir DIR

CMD is a command line (one string, split on spaces) that runs glassvm: the native program or
node with glassvm-node.js. The recording types commands into the demo guest at irregular
moments (one while it computes, one after it idled) and ends with poweroff; the session file
must then replay, from the file and from its text as a URL, to the state hash the recording
printed, with exit status 0 and the same output. A damaged copy must be refused with status 2
and a message.
Bounded by guest instructions; the timeouts only guard against a hung host process.
"""
import argparse
import base64
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from linux_boot import Console, fail  # noqa: E402

HASH = re.compile(rb"state hash ([0-9a-f]{16}) at guest time (\d+) ns")


def run(cmd):
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", required=True)
    ap.add_argument("--replay", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    session = os.path.join(args.workdir, "session.gvml")
    if os.path.exists(session):
        os.remove(session)

    rec = subprocess.Popen(args.record.split() + ["-kernel", args.guest, "--record", session],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    con = Console(rec, 120)
    con.read_until(b"glassvm> ")
    con.command("ticks")
    con.read_until(b"UART interrupts")
    con.command("bench")
    time.sleep(0.01)
    con.command("echo typed while it computes")
    con.read_until(b"computes\nglassvm> ")
    time.sleep(0.3)
    con.command("csr")
    con.read_until(b"minstret")
    con.command("poweroff")
    con.read_until(b"recorded the session")
    rec.wait(60)
    con.out += rec.stdout.read()
    if rec.returncode != 0:
        fail(f"the recording exited with status {rec.returncode}", con)
    m = HASH.search(con.out)
    if not m:
        fail("the recording printed no state hash", con)
    recorded_hash, recorded_ns = m.group(1), m.group(2)
    events = re.search(rb"recorded the session to .*?: (\d+) input events", con.out)
    if not events or int(events.group(1)) < 4:
        fail("the recording should hold at least 4 input events", con)

    with open(session, "rb") as f:
        data = f.read()
    url_file = os.path.join(args.workdir, "session.url")
    with open(url_file, "w") as f:
        f.write("http://127.0.0.1:8000/#link=" +
                base64.urlsafe_b64encode(data).decode().rstrip("=") + "\n")
    for source in (session, url_file):
        status, out, err = run(args.replay.split() + ["--replay", source])
        m = HASH.search(err)
        if status != 0 or not m or b"the same state as" not in err:
            fail(f"--replay {source}: status {status}\n{err.decode(errors='replace')}")
        if (m.group(1), m.group(2)) != (recorded_hash, recorded_ns):
            fail(f"--replay {source}: state hash {m.group(1)} at {m.group(2)} ns, recorded "
                 f"{recorded_hash} at {recorded_ns} ns")
        if b"typed while it computes" not in out or b"bye" not in out:
            fail(f"--replay {source}: the guest's output lacks the session's commands:\n"
                 + out.decode(errors="replace"))
        print(f"replayed {source}: state hash {m.group(1).decode()} at {m.group(2).decode()} ns")

    damaged = os.path.join(args.workdir, "damaged.gvml")
    with open(damaged, "wb") as f:
        f.write(data[: len(data) // 2])
    status, out, err = run(args.replay.split() + ["--replay", damaged])
    if status != 2 or b"damaged or truncated" not in err:
        fail(f"a truncated session: status {status}, {err.decode(errors='replace')}")
    print("a truncated session is refused:", err.decode(errors="replace").strip())
    print("PASS")


if __name__ == "__main__":
    main()
