#!/usr/bin/env python3
"""destroy_server.py — stop one lab server and remove everything it had on this host.

The Python twin of scripts/destroy-server.sh: same arguments, same result. Standard library only.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROG = "destroy_server.py"
NAME_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")

DESCRIPTION = """\
Stops the server NAME made by create-server.sh (or create_server.py) and removes all it had on
this host: its process (systemd-nspawn or qemu: a clean shutdown is asked first, then it is killed
after SECONDS, default 30), its overlay mount, its cgroup, its tap interface (vm), its state
directory (upper directory or disks, logs). The golden image and the candidate's bridge stay.
Idempotent: a server that is not there is not an error ("nothing to do")."""


def alive_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):
        return None
    return pid if comm in ("systemd-nspawn", "qemu-system-x86") else None


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True, help="server name")
    p.add_argument("--state-dir", metavar="DIR", help="state directory (default: $ASD_LAB_STATE, else /var/lib/asd-lab for root, else ./.asd-lab)")
    p.add_argument("--timeout", metavar="SECONDS", default="30", help="how long a clean shutdown may take before the server is killed (default 30)")
    a = p.parse_args(argv)
    if not NAME_RE.match(a.name):
        p.error(f"--name '{a.name}' must be a DNS label")
    if not re.fullmatch(r"[0-9]+", a.timeout):
        p.error(f"--timeout '{a.timeout}' must be a whole number of seconds")
    if os.geteuid() != 0:
        print(f"{PROG}: error: must run as root: run it with sudo", file=sys.stderr)
        return 1
    if shutil.which("ip") is None:
        print(f"{PROG}: error: 'ip' is missing: install it with 'apt-get install -y iproute2'", file=sys.stderr)
        return 1
    state = Path(a.state_dir or os.environ.get("ASD_LAB_STATE") or "/var/lib/asd-lab")
    servers = state / "servers"
    s = servers / a.name
    servers.mkdir(parents=True, exist_ok=True)
    lock_path = servers / f".{a.name}.lock"
    lock = open(lock_path, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)

    did: list[str] = []
    env: dict[str, str] = {}
    if (s / "server.env").is_file():
        for line in (s / "server.env").read_text().splitlines():
            k, sep, v = line.partition("=")
            if sep:
                env[k] = v
    tap = env.get("TAP") or "asdv-" + hashlib.sha256(a.name.encode()).hexdigest()[:10]

    # nspawn turns SIGTERM into a clean poweroff of the container; qemu stops at once.
    pid = alive_pid(s / "pid")
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + int(a.timeout)
        while exists(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if exists(pid):
            print(f"{PROG}: warning: server '{a.name}' did not stop within {a.timeout} s: killing it", file=sys.stderr)
            os.kill(pid, signal.SIGKILL)
        did.append(f"stopped pid {pid}")

    hierarchies = ("/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/systemd",
                   "/sys/fs/cgroup/unified")
    for d in (Path(h) / "asd-lab" / a.name for h in hierarchies):
        if not d.is_dir():
            continue
        # The server's systemd made its own cgroups below: processes and directories, deepest first.
        below = sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
        for _ in range(50):
            procs = [q for c in [d, *below] if (c / "cgroup.procs").exists() for q in (c / "cgroup.procs").read_text().split()]
            if not procs:
                break
            for q in procs:
                try:
                    os.kill(int(q), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        try:
            for c in [*below, d]:
                c.rmdir()
        except OSError:
            print(f"{PROG}: error: cannot remove cgroup {d} (processes left: {(d / 'cgroup.procs').read_text().split()})", file=sys.stderr)
            return 1
        did.append(f"removed cgroup {d}")
    # The shared parents go with the last server.
    for parent in (f"{h}/asd-lab" for h in hierarchies):
        try:
            os.rmdir(parent)
        except OSError:
            pass

    merged = s / "merged"
    if subprocess.run(["mountpoint", "-q", str(merged)], capture_output=True).returncode == 0:
        if subprocess.run(["umount", str(merged)]).returncode != 0:
            subprocess.run(["umount", "-l", str(merged)], check=True)
        did.append(f"unmounted {merged}")
    if subprocess.run(["ip", "link", "show", "dev", tap], capture_output=True).returncode == 0:
        subprocess.run(["ip", "link", "delete", "dev", tap], check=True)
        did.append(f"removed tap {tap}")
    shutil.rmtree(f"/run/systemd/nspawn/propagate/{a.name}", ignore_errors=True)
    if s.is_dir():
        shutil.rmtree(s)
        did.append(f"removed {s}")
    lock_path.unlink(missing_ok=True)

    if did:
        print(f"{PROG}: server '{a.name}' destroyed ({'; '.join(did)})")
    else:
        print(f"{PROG}: server '{a.name}' does not exist: nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
