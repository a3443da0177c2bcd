#!/usr/bin/env python3
"""create_server.py — create (or start again) one lab server on this host, from the golden image.

The Python twin of scripts/create-server.sh: same arguments, same checks, same server (the test
test/local-server.test.ts creates one with each and compares them). Python 3.9+, standard library
only. The external tools are the same as the bash script's (systemd-nspawn, qemu, ssh-keygen...).
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import ipaddress
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

PROG = "create_server.py"
ROLE_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
NAME_RE = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
KEY_RE = re.compile(
    r"^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+",
    re.M,
)

DESCRIPTION = """\
Creates one server of asd-lab's local target and waits until its SSH server answers.
The server boots the golden image (scripts/build-image.sh) with its own identity: hostname,
machine-id, SSH host keys, a static address (systemd-networkd) and the user asd-admin, whose
authorized key is FILE and who may use sudo without a password (Ansible connects as asd-admin).

Drivers:
  container  overlayfs (per-server upper directory) over the read-only image, booted by
             systemd-nspawn --boot, plugged into BRIDGE through a veth pair; memory and CPU
             caps are written to the server's own cgroup (v2, or v1 on hybrid hosts)
  vm         qemu: qcow2 disk whose backing file is the image's disk, direct boot of Debian's
             cloud kernel, a seed disk with the server's identity, a tap interface on BRIDGE;
             KVM when it works, else software emulation (TCG, about a minute to boot)

Idempotent: when the server already runs, nothing changes (and the script says so); when it
exists but is stopped (e.g. after a host reboot), it is started again with its own disk. Asking
for different settings than those of the existing server is an error: destroy it first.
Every check runs before anything is created."""

EPILOG = "Exit status: 0 server running and answering SSH, 2 bad arguments, 1 any other failure."


class Failure(Exception):
    """An error the user can act on; exit code 1 (2 for bad arguments)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def info(msg: str) -> None:
    print(f"{PROG}: {msg}", flush=True)


def warn(msg: str) -> None:
    print(f"{PROG}: warning: {msg}", file=sys.stderr, flush=True)


def usage_error(msg: str) -> Failure:
    return Failure(f"{msg} (see --help)", 2)


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), check=True, **kw)


def out(*cmd: str) -> str:
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True).stdout


def need_tool(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        raise Failure(f"'{tool}' is missing: install it with 'apt-get install -y {package}'")


def default_state_dir() -> str:
    if os.environ.get("ASD_LAB_STATE"):
        return os.environ["ASD_LAB_STATE"]
    return "/var/lib/asd-lab" if os.geteuid() == 0 else os.path.join(os.getcwd(), ".asd-lab")


def cgroup_mode() -> str:
    ctl = Path("/sys/fs/cgroup/cgroup.controllers")
    if ctl.is_file() and "memory" in ctl.read_text().split():
        return "v2"
    if Path("/sys/fs/cgroup/memory/memory.limit_in_bytes").is_file() and Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").is_file():
        return "v1"
    return "none"


def is_alive(pidfile: Path, comm: str) -> bool:
    try:
        pid = int(pidfile.read_text().strip())
        return Path(f"/proc/{pid}/comm").read_text().strip() == comm
    except (OSError, ValueError):
        return False


def ssh_answers(ip: str) -> bool:
    try:
        with socket.create_connection((ip, 22), timeout=2) as s:
            s.settimeout(2)
            return s.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def wait_ssh(ip: str, timeout: int) -> bool:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if ssh_answers(ip):
            return True
        time.sleep(0.5)
    return False


def is_mountpoint(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)]).returncode == 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--name", required=True, help="server (and machine) name, a DNS label of at most 63 characters")
    p.add_argument("--role", required=True, help="role label (gateway, app, db, mon, k8s...), stored in /etc/asd-lab/server")
    p.add_argument("--memory", required=True, metavar="MIB", help="memory cap in MiB (128 to 16384)")
    p.add_argument("--cpus", required=True, help="CPU cap, in CPUs (0.1 to 16)")
    p.add_argument("--network", required=True, metavar="BRIDGE", help="the candidate's bridge (scripts/lab-network.sh up)")
    p.add_argument("--address", required=True, metavar="ADDRESS/PREFIX", help="static address of the server, e.g. 10.98.0.10/24")
    p.add_argument("--gateway", required=True, metavar="ADDRESS", help="host address on the bridge, e.g. 10.98.0.1")
    p.add_argument("--ssh-key", required=True, metavar="FILE", help="OpenSSH public key(s) for asd-admin (authorized_keys format)")
    p.add_argument("--driver", default="container", help="container (default) or vm")
    p.add_argument("--state-dir", metavar="DIR", help="state directory (default: $ASD_LAB_STATE, else /var/lib/asd-lab for root, else ./.asd-lab)")
    p.add_argument("--accel", default="auto", help="vm driver: auto (default: KVM if a probe boot works, else TCG), kvm or tcg")
    p.add_argument("--timeout", metavar="SECONDS", help="how long to wait for SSH (default: 60 container, 300 vm)")
    p.add_argument("--cohort", default="", help="label stored with the server (asd-lab's cohort)")
    p.add_argument("--candidate", default="", help="label stored with the server (asd-lab's candidate)")
    return p.parse_args(argv)


class Server:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.validate()

    # --- arguments --------------------------------------------------------------------------------
    def validate(self) -> None:
        a = self.a
        if not NAME_RE.match(a.name):
            raise usage_error(f"--name '{a.name}' must be a DNS label (lowercase letters, digits, '-', starting with a letter, at most 63 characters)")
        if not ROLE_RE.match(a.role):
            raise usage_error(f"--role '{a.role}' must be a lowercase word such as gateway, app, db, mon or k8s")
        if not (re.fullmatch(r"[0-9]+", a.memory) and 128 <= int(a.memory) <= 16384):
            raise usage_error(f"--memory '{a.memory}' must be a whole number of MiB between 128 and 16384")
        if not (re.fullmatch(r"[0-9]+(\.[0-9]+)?", a.cpus) and 0.1 <= float(a.cpus) <= 16):
            raise usage_error(f"--cpus '{a.cpus}' must be a number of CPUs between 0.1 and 16")
        if not IFNAME_RE.match(a.network):
            raise usage_error(f"--network '{a.network}' is not a valid interface name (1 to 15 characters)")
        m = re.fullmatch(r"([0-9]{1,3}(?:\.[0-9]{1,3}){3})/([0-9]{1,2})", a.address)
        try:
            iface = ipaddress.IPv4Interface(a.address) if m and 8 <= int(m.group(2)) <= 30 else None
        except ValueError:
            iface = None
        if iface is None:
            raise usage_error(f"--address '{a.address}' must be an IPv4 address with a prefix length, e.g. 10.98.0.10/24")
        try:
            gw = ipaddress.IPv4Address(a.gateway) if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", a.gateway) else None
        except ValueError:
            gw = None
        if gw is None:
            raise usage_error(f"--gateway '{a.gateway}' must be an IPv4 address, e.g. 10.98.0.1")
        if a.driver not in ("container", "vm"):
            raise usage_error(f"--driver '{a.driver}' must be 'container' or 'vm'")
        if a.accel not in ("auto", "kvm", "tcg"):
            raise usage_error(f"--accel '{a.accel}' must be auto, kvm or tcg")
        if a.timeout is not None and not (re.fullmatch(r"[0-9]+", a.timeout) and int(a.timeout) >= 1):
            raise usage_error(f"--timeout '{a.timeout}' must be a whole number of seconds")
        self.timeout = int(a.timeout) if a.timeout else (300 if a.driver == "vm" else 60)
        for label in ("cohort", "candidate"):
            v = getattr(a, label)
            if v and not NAME_RE.match(v):
                raise usage_error(f"--{label} '{v}' must be a DNS label")
        if gw not in iface.network:
            raise usage_error(f"--gateway {a.gateway} is not in the subnet of --address {a.address}")
        if iface.ip == gw:
            raise usage_error(f"--address and --gateway are both {a.gateway}")
        if iface.ip in (iface.network.network_address, iface.network.broadcast_address):
            raise usage_error(f"--address {a.address} is the network or broadcast address of its subnet")
        key = Path(a.ssh_key)
        if not (key.is_file() and os.access(key, os.R_OK)):
            raise usage_error(f"--ssh-key '{a.ssh_key}' is not a readable file")
        text = key.read_bytes().decode("utf-8", "replace")
        if "PRIVATE KEY" in text:
            raise usage_error(f"--ssh-key '{a.ssh_key}' is a PRIVATE key: give the public key (.pub)")
        if not KEY_RE.search(text):
            raise usage_error(f"--ssh-key '{a.ssh_key}' holds no OpenSSH public key line (such as 'ssh-ed25519 AAAA... comment')")
        self.ip = str(iface.ip)
        self.prefix = iface.network.prefixlen
        self.key_sha = hashlib.sha256(key.read_bytes()).hexdigest()
        self.cpu_quota = int(float(a.cpus) * 100000)
        self.state = Path(a.state_dir or default_state_dir())
        self.servers = self.state / "servers"
        self.dir = self.servers / a.name
        h = hashlib.sha256(a.name.encode()).hexdigest()
        self.tap = f"asdv-{h[:10]}" if a.driver == "vm" else ""
        self.mac = f"52:54:00:{h[10:12]}:{h[12:14]}:{h[14:16]}" if a.driver == "vm" else ""
        self.comm = "qemu-system-x86" if a.driver == "vm" else "systemd-nspawn"

    # --- host -----------------------------------------------------------------------------------
    def preflight(self) -> None:
        a = self.a
        if os.geteuid() != 0:
            raise Failure("must run as root (it mounts filesystems, creates network interfaces and cgroups): run it with sudo")
        for tool, pkg in [("ip", "iproute2"), ("ssh-keygen", "openssh-client"), ("chroot", "coreutils"), ("mount", "mount"), ("setsid", "util-linux")]:
            need_tool(tool, pkg)
        if a.driver == "container":
            need_tool("systemd-nspawn", "systemd-container")
        else:
            need_tool("qemu-system-x86_64", "qemu-system-x86")
            need_tool("qemu-img", "qemu-utils")
            need_tool("mkfs.ext4", "e2fsprogs")
        self.cgroups = cgroup_mode()
        if self.cgroups == "none":
            raise Failure("no cgroup memory and cpu controllers under /sys/fs/cgroup (neither v2 nor v1): cannot cap the server's memory and CPU")
        link = subprocess.run(["ip", "-o", "link", "show", "dev", a.network], capture_output=True, text=True)
        hint = f"run scripts/lab-network.sh up --bridge {a.network} --gateway {a.gateway}/{self.prefix}"
        if link.returncode != 0 or " alias asd-lab" not in link.stdout:
            raise Failure(f"bridge '{a.network}' does not exist or was not made by asd-lab: {hint} first")
        addrs = [line.split()[3] for line in out("ip", "-o", "-4", "addr", "show", "dev", a.network).splitlines() if len(line.split()) > 3]
        if f"{a.gateway}/{self.prefix}" not in addrs:
            raise Failure(f"bridge '{a.network}' does not hold the gateway {a.gateway}/{self.prefix}: {hint}")

    def read_env(self, path: Path | None = None) -> dict[str, str]:
        path = path or self.dir / "server.env"
        env: dict[str, str] = {}
        for line in path.read_text().splitlines():
            k, sep, v = line.partition("=")
            if sep:
                env[k] = v
        return env

    def kvm_usable(self, vmdir: Path) -> tuple[bool, str]:
        kvm = Path("/dev/kvm")
        if not (kvm.is_char_device() and os.access(kvm, os.R_OK | os.W_OK)):
            return False, "/dev/kvm is missing or not accessible"
        probe = self.state / "kvm-probe"
        key = f"{os.uname().release} {hashlib.sha256((vmdir / 'vmlinuz').read_bytes()).hexdigest()[:16]}"
        env = self.read_env(probe) if probe.is_file() else {}
        if env.get("KEY") != key:
            try:
                p = subprocess.run(
                    ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-m", "256", "-smp", "1", "-display", "none",
                     "-no-reboot", "-serial", "stdio", "-monitor", "none", "-kernel", str(vmdir / "vmlinuz"),
                     "-append", "console=ttyS0 panic=-1"],
                    capture_output=True, text=True, errors="replace", timeout=20,
                )
                output = p.stdout + p.stderr
            except subprocess.TimeoutExpired as e:
                output = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            if "Kernel panic" in output:
                env = {"KEY": key, "VERDICT": "usable", "REASON": ""}
            else:
                err = next((l for l in output.splitlines() if re.search(r"qemu-system-x86_64: error|Assertion|failed", l)), "")[:160]
                reason = ("a probe boot of the guest kernel with KVM did not reach the kernel's first panic within 20 s"
                          + (f" ({err})" if err else "") + ": nested virtualization that cannot run Linux?")
                env = {"KEY": key, "VERDICT": "unusable", "REASON": reason}
            probe.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        return env.get("VERDICT") == "usable", env.get("REASON", "")

    # --- identity ------------------------------------------------------------------------------------
    def customize(self, r: Path) -> None:
        a = self.a
        (r / "etc/hostname").write_text(f"{a.name}\n")
        (r / "etc/hosts").write_text(
            f"127.0.0.1\tlocalhost\n127.0.1.1\t{a.name}\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
        )
        (r / "etc/machine-id").write_text(os.urandom(16).hex() + "\n")
        netdir = r / "etc/systemd/network"
        netdir.mkdir(mode=0o755, parents=True, exist_ok=True)
        net = netdir / "10-asd-lab.network"
        net.write_text(
            f"# asd-lab: static address of {a.name} (host0 in a container, the virtio NIC in a VM).\n"
            "[Match]\nName=host0 en* eth*\n\n[Network]\n"
            f"Address={a.address}\nGateway={a.gateway}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n"
        )
        net.chmod(0o644)
        for t in ("rsa", "ecdsa", "ed25519"):
            k = r / f"etc/ssh/ssh_host_{t}_key"
            for f in (k, Path(f"{k}.pub")):
                f.unlink(missing_ok=True)
            run("ssh-keygen", "-q", "-t", t, "-N", "", "-C", f"root@{a.name}", "-f", str(k))
        if subprocess.run(["chroot", str(r), "getent", "passwd", "asd-admin"], capture_output=True).returncode != 0:
            run("chroot", str(r), "useradd", "--create-home", "--shell", "/bin/bash", "--password", "*",
                "--comment", "asd-lab administrator (Ansible)", "asd-admin")
        uid = int(out("chroot", str(r), "id", "-u", "asd-admin"))
        gid = int(out("chroot", str(r), "id", "-g", "asd-admin"))
        ssh_dir = r / "home/asd-admin/.ssh"
        ssh_dir.mkdir(exist_ok=True)
        os.chown(ssh_dir, uid, gid)
        ssh_dir.chmod(0o700)
        ak = ssh_dir / "authorized_keys"
        ak.write_bytes(Path(a.ssh_key).read_bytes())
        os.chown(ak, uid, gid)
        ak.chmod(0o600)
        sudoers = r / "etc/sudoers.d/90-asd-admin"
        sudoers.write_text("asd-admin ALL=(ALL:ALL) NOPASSWD: ALL\n")
        sudoers.chmod(0o440)
        if subprocess.run(["chroot", str(r), "visudo", "-cqf", "/etc/sudoers.d/90-asd-admin"]).returncode != 0:
            raise Failure(f"the sudoers file of '{a.name}' is invalid")
        (r / "etc/asd-lab").mkdir(mode=0o755, exist_ok=True)
        ident = r / "etc/asd-lab/server"
        ident.write_text(f"NAME={a.name}\nROLE={a.role}\nADDRESS={a.address}\nCOHORT={a.cohort}\nCANDIDATE={a.candidate}\n")
        ident.chmod(0o644)

    def keep_host_keys(self, r: Path) -> None:
        lines = []
        for t in ("ed25519", "ecdsa", "rsa"):
            fields = (r / f"etc/ssh/ssh_host_{t}_key.pub").read_text().split()
            lines.append(f"{self.ip} {fields[0]} {fields[1]}\n")
        (self.dir / "known_host_keys").write_text("".join(lines))

    def mount_overlay(self, lower: str) -> None:
        merged = self.dir / "merged"
        if not is_mountpoint(merged):
            run("mount", "-t", "overlay", "overlay", "-o",
                f"lowerdir={lower},upperdir={self.dir / 'upper'},workdir={self.dir / 'work'}", str(merged))

    def write_env(self) -> None:
        a = self.a
        env = {
            "NAME": a.name, "ROLE": a.role, "MEMORY_MIB": a.memory, "CPUS": a.cpus, "NETWORK": a.network,
            "ADDRESS": a.address, "GATEWAY": a.gateway, "SSH_KEY": os.path.realpath(a.ssh_key),
            "SSH_KEY_SHA256": self.key_sha, "DRIVER": a.driver, "IMAGE": self.image, "VM_IMAGE": self.vm_image,
            "COHORT": a.cohort, "CANDIDATE": a.candidate, "TAP": self.tap, "MAC": self.mac,
        }
        (self.dir / "server.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))

    # --- caps ------------------------------------------------------------------------------------------
    def setup_cgroup(self, mem_mib: int) -> list[Path]:
        name, mem = self.a.name, mem_mib * 1048576
        if self.cgroups == "v2":
            root, base = Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/asd-lab")
            base.mkdir(exist_ok=True)
            for d in (root, base):
                enabled = (d / "cgroup.subtree_control").read_text().split()
                for c in ("memory", "cpu"):
                    if c not in enabled:
                        (d / "cgroup.subtree_control").write_text(f"+{c}")
            cg = base / name
            cg.mkdir(exist_ok=True)
            (cg / "memory.max").write_text(str(mem))
            (cg / "cpu.max").write_text(f"{self.cpu_quota} 100000")
            return [cg]
        mem_cg = Path(f"/sys/fs/cgroup/memory/asd-lab/{name}")
        cpu_cg = Path(f"/sys/fs/cgroup/cpu/asd-lab/{name}")
        mem_cg.mkdir(parents=True, exist_ok=True)
        cpu_cg.mkdir(parents=True, exist_ok=True)
        (mem_cg / "memory.limit_in_bytes").write_text(str(mem))
        (cpu_cg / "cpu.cfs_period_us").write_text("100000")
        (cpu_cg / "cpu.cfs_quota_us").write_text(str(self.cpu_quota))
        # Hybrid hosts: each server's systemd needs its own cgroup in the name=systemd and unified
        # hierarchies too, or the servers remove each other's unit cgroups (status 219/CGROUP).
        own = []
        for h in ("systemd", "unified"):
            if Path(f"/sys/fs/cgroup/{h}/cgroup.procs").exists():
                d = Path(f"/sys/fs/cgroup/{h}/asd-lab/{name}")
                d.mkdir(parents=True, exist_ok=True)
                own.append(d)
        return [mem_cg, cpu_cg, *own]

    def start_capped(self, cgroups: list[Path], cmd: list[str]) -> subprocess.Popen:
        # The child joins the cgroups before exec: every process of the server is capped.
        def join() -> None:
            for d in cgroups:
                (d / "cgroup.procs").write_text(str(os.getpid()))

        log = open(self.dir / "console.log", "ab")
        try:
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, preexec_fn=join, close_fds=True)
        finally:
            log.close()

    # --- the job ------------------------------------------------------------------------------------
    def main(self) -> None:
        a = self.a
        self.preflight()
        self.servers.mkdir(parents=True, exist_ok=True)
        lock = open(self.servers / f".{a.name}.lock", "w")
        fcntl.flock(lock, fcntl.LOCK_EX)  # one create/destroy of this server at a time

        exists = (self.dir / "server.env").is_file()
        if exists:
            env = self.read_env()
            want = {"ROLE": a.role, "MEMORY_MIB": a.memory, "CPUS": a.cpus, "NETWORK": a.network, "ADDRESS": a.address,
                    "GATEWAY": a.gateway, "DRIVER": a.driver, "SSH_KEY_SHA256": self.key_sha}
            for k, v in want.items():
                if env.get(k, "") != v:
                    raise Failure(f"server '{a.name}' exists with {k}={env.get(k, '')}, not {v}: destroy it first "
                                  f"(scripts/destroy-server.sh --name {a.name} --state-dir {self.state})")
        elif self.dir.is_dir():
            warn(f"removing the unfinished server directory {self.dir}")
            if is_mountpoint(self.dir / "merged"):
                run("umount", str(self.dir / "merged"))
            shutil.rmtree(self.dir)
        for f in self.servers.glob("*/server.env"):
            other = f.parent.name
            if other != a.name and self.read_env(f).get("ADDRESS") == a.address:
                raise Failure(f"address {a.address} is already used by server '{other}'")

        images = self.state / "image"
        if exists:
            self.image, self.vm_image = env.get("IMAGE", ""), env.get("VM_IMAGE", "")
        else:
            self.image = os.readlink(images / "current") if (images / "current").is_symlink() else ""
            self.vm_image = ""
            if not self.image or not (images / self.image / "rootfs/etc/asd-lab-image").is_file():
                raise Failure(f"no golden image in {images}: build it with scripts/build-image.sh --state-dir {self.state}")
            if a.driver == "vm":
                vc = images / self.image / "vm-current"
                self.vm_image = os.readlink(vc) if vc.is_symlink() else ""
                if not self.vm_image or not (images / self.image / self.vm_image / "base.qcow2").is_file():
                    raise Failure(f"no VM variant of the golden image: build it with scripts/build-image.sh --vm --state-dir {self.state}")
        lower = images / self.image / "rootfs"
        vmdir = images / self.image / self.vm_image
        if not lower.is_dir():
            raise Failure(f"image {self.image} of server '{a.name}' is gone from {images}: destroy the server and create it again")

        accel = ""
        if a.driver == "vm":
            if a.accel == "tcg":
                accel = "tcg"
            else:
                ok, why = self.kvm_usable(vmdir)
                if a.accel == "kvm" and not ok:
                    raise Failure(f"--accel kvm: KVM is not usable on this host: {why}; use --accel tcg (software emulation) or --accel auto")
                accel = "kvm" if ok else "tcg"

        pidfile = self.dir / "pid"
        if exists and is_alive(pidfile, self.comm):
            info(f"server '{a.name}' is already running ({a.driver}, {a.address}, pid {pidfile.read_text().strip()}): nothing changed")
            if not wait_ssh(self.ip, self.timeout):
                raise Failure(f"server '{a.name}' runs but its SSH server does not answer on {self.ip}:22 (console: {self.dir / 'console.log'})")
            return

        started = time.monotonic()
        if not exists:
            self.dir.mkdir(mode=0o700)
            for d in ("upper", "work", "merged"):
                (self.dir / d).mkdir()
            merged = self.dir / "merged"
            if a.driver == "container":
                self.mount_overlay(str(lower))
                self.customize(merged)
                self.keep_host_keys(merged)
            else:
                # Same identity as a container, prepared in an overlay upper directory that becomes the
                # seed disk copied over the VM's root by its initramfs on first boot.
                self.mount_overlay(f"{vmdir / 'layer'}:{lower}")
                self.customize(merged)
                self.keep_host_keys(merged)
                run("umount", str(merged))
                upper = self.dir / "upper"
                if any(p.is_char_device() for p in upper.rglob("*")):
                    raise Failure(f"the identity of '{a.name}' deletes files of the image (overlay whiteouts), which a seed disk cannot carry")
                run("mkfs.ext4", "-q", "-L", "asd-seed", "-d", str(upper), str(self.dir / "seed.img"), "64M", stdout=subprocess.DEVNULL)
                run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(vmdir / "base.qcow2"), str(self.dir / "disk.qcow2"))
                for d in ("upper", "work", "merged"):
                    shutil.rmtree(self.dir / d)
            self.write_env()
            info(f"server '{a.name}' prepared ({a.driver}, image {self.image}{'/' + self.vm_image if self.vm_image else ''})")
        else:
            info(f"server '{a.name}' exists but is stopped: starting it again")
            if a.driver == "container":
                self.mount_overlay(str(lower))

        pidfile.unlink(missing_ok=True)
        log = self.dir / "console.log"
        if a.driver == "container":
            cgs = self.setup_cgroup(int(a.memory))
            proc = self.start_capped(cgs, [
                "systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--boot", f"--machine={a.name}",
                f"--directory={self.dir / 'merged'}", f"--network-bridge={a.network}", "--console=read-only",
                "--resolv-conf=off", "--timezone=off", "--link-journal=no",
            ])
            pidfile.write_text(f"{proc.pid}\n")
        else:
            # Guest RAM is --memory; the cgroup also leaves room for qemu itself.
            cgs = self.setup_cgroup(int(a.memory) + 256)
            if subprocess.run(["ip", "link", "show", "dev", self.tap], capture_output=True).returncode != 0:
                run("ip", "tuntap", "add", "dev", self.tap, "mode", "tap")
            run("ip", "link", "set", "dev", self.tap, "master", a.network)
            run("ip", "link", "set", "dev", self.tap, "up")
            smp = str(math.ceil(float(a.cpus)))
            accel_args = ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg,tb-size=64"]
            proc = self.start_capped(cgs, [
                "qemu-system-x86_64", "-name", a.name, "-machine", "pc", *accel_args, "-m", a.memory, "-smp", smp,
                "-kernel", str(vmdir / "vmlinuz"), "-initrd", str(vmdir / "initrd.img"),
                "-append", "root=/dev/vda rw console=ttyS0 asd_lab_seed=/dev/vdb panic=-1",
                "-drive", f"file={self.dir / 'disk.qcow2'},if=virtio,format=qcow2",
                "-drive", f"file={self.dir / 'seed.img'},if=virtio,format=raw,readonly=on",
                "-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
                "-device", f"virtio-net-pci,netdev=n0,mac={self.mac}",
                "-display", "none", "-monitor", "none", "-serial", f"file:{self.dir / 'serial.log'}", "-no-reboot",
                "-pidfile", str(pidfile), "-daemonize",
            ])
            if proc.wait() != 0:
                raise Failure(f"qemu did not start (log: {log}): {' '.join(log.read_text().splitlines()[-3:])}")
            info(f"accelerator: {accel}")

        info(f"waiting for SSH on {self.ip}:22 (at most {self.timeout} s)")
        logs = f"log: {log}" + (f", console: {self.dir / 'serial.log'}" if a.driver == "vm" else "")
        while not ssh_answers(self.ip):
            if not is_alive(pidfile, self.comm):
                tail = " ".join(log.read_text(errors="replace").splitlines()[-3:]) if log.exists() else ""
                raise Failure(f"server '{a.name}' stopped while booting ({logs}): {tail}")
            if time.monotonic() - started >= self.timeout:
                raise Failure(f"server '{a.name}' did not answer SSH on {self.ip}:22 within {self.timeout} s ({logs}); "
                              f"it is left running: destroy it with scripts/destroy-server.sh --name {a.name}")
            time.sleep(0.5)
        info(f"server '{a.name}' is running: {a.address}, ssh asd-admin@{self.ip} ({int(time.monotonic() - started)} s)")


def main(argv: list[str]) -> int:
    try:
        Server(parse_args(argv)).main()
        return 0
    except Failure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.code
    except subprocess.CalledProcessError as e:
        print(f"{PROG}: error: command failed ({e.returncode}): {' '.join(map(str, e.cmd))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
