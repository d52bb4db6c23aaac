"""Hosts on one machine for the topology test: a network namespace per host, joined by a Linux
bridge in a "switch" namespace of its own. Nothing is added to the machine's own network: the
hosts' subnet exists only on that bridge, and the test's own client talks to them from a thread
that lives in a namespace too.

Needs root (`ip netns add`, veth, bridge: iproute2). Every name carries a suffix unique to the
run, so parallel runs and leftovers never clash; teardown() removes it all.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

SUBNET = "10.251.0"  # a /24 that exists only on the test's own bridge
BRIDGE = "br0"
CLONE_NEWNET = 0x40000000
T = TypeVar("T")


class NetnsError(RuntimeError):
    """An `ip` command failed (most often: not root, or namespaces not permitted here)."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `ip ARGS` (bounded in time); raise NetnsError with its output when it fails."""
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    except FileNotFoundError as exc:
        raise NetnsError("`ip` (iproute2) is not installed") from exc
    if check and done.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {done.stderr.strip() or done.returncode}")
    return done


@dataclass(frozen=True)
class Host:
    name: str  # short name: db, web1, ...
    ns: str  # its namespace: dt-db-<suffix>
    addr: str  # its address on the bridge
    port: str  # its veth end on the switch (in the switch namespace)


class Network:
    """Namespaced hosts on one bridge: build(), exec_argv() to run a program on a host, cut() a
    host off the switch (its link stays up: it sees only silence), teardown()."""

    def __init__(self, hosts: dict[str, int], suffix: str | None = None) -> None:
        self.suffix = suffix or f"{os.getpid():x}{secrets.token_hex(2)}"
        self.switch = f"dt-sw-{self.suffix}"
        self.hosts = {
            name: Host(name, f"dt-{name}-{self.suffix}", f"{SUBNET}.{octet}", f"p-{name}"[:15])
            for name, octet in hosts.items()
        }
        self.made: list[str] = []

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def build(self) -> Network:
        self._add_ns(self.switch)
        ip("-n", self.switch, "link", "add", BRIDGE, "type", "bridge")
        ip("-n", self.switch, "link", "set", BRIDGE, "up")
        for host in self.hosts.values():
            self._add_ns(host.ns)
            ip("-n", host.ns, "link", "set", "lo", "up")
            # Made inside the switch namespace with its peer put straight into the host's: the
            # machine's own namespace never sees either end.
            ip("-n", self.switch, "link", "add", host.port, "type", "veth",
               "peer", "name", "eth0", "netns", host.ns)  # fmt: skip
            ip("-n", self.switch, "link", "set", host.port, "master", BRIDGE)
            ip("-n", self.switch, "link", "set", host.port, "up")
            ip("-n", host.ns, "addr", "add", f"{host.addr}/24", "dev", "eth0")
            ip("-n", host.ns, "link", "set", "eth0", "up")
        return self

    def _add_ns(self, name: str) -> None:
        ip("netns", "add", name)
        self.made.append(name)

    def exec_argv(self, name: str, argv: Sequence[str]) -> list[str]:
        """argv run on host `name` (ip netns exec replaces itself: the pid is the program's)."""
        return ["ip", "netns", "exec", self.hosts[name].ns, *argv]

    def cut(self, name: str) -> None:
        """Take the host's port out of the bridge: a partition. Its own link stays up and its
        processes run on; what they send goes nowhere and nothing answers (no reset, no error)."""
        ip("-n", self.switch, "link", "set", self.hosts[name].port, "nomaster")

    def rejoin(self, name: str) -> None:
        ip("-n", self.switch, "link", "set", self.hosts[name].port, "master", BRIDGE)

    def pids(self, ns: str) -> list[int]:
        out = ip("netns", "pids", ns, check=False).stdout
        return [int(p) for p in out.split() if p.isdigit()]

    def teardown(self) -> list[str]:
        """Kill what still runs in the run's namespaces (all started by this run), delete them
        (their veths and the bridge go with them); returns what could not be removed."""
        left: list[str] = []
        for ns in reversed(self.made):
            for pid in self.pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if ip("netns", "del", ns, check=False).returncode != 0:
                left.append(ns)
        self.made = [ns for ns in self.made if ns in left]
        return left


def _enter(ns: str) -> None:
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns = getattr(os, "setns", None)  # Python 3.12+
        if setns is not None:
            setns(fd, CLONE_NEWNET)
        else:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns into {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


class InNamespace:
    """One thread of the test process moved into a namespace (setns is per thread): whatever
    runs through it (HTTP posts, database and Redis clients) opens its sockets on that host."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self._pool = ThreadPoolExecutor(
            1, thread_name_prefix=ns, initializer=_enter, initargs=(ns,)
        )

    def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._pool.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
