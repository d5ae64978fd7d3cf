"""A throwaway PostgreSQL server on loopback for the gallery tests.

Uses the server binaries of Debian's `postgresql` package (initdb, pg_ctl), or
those of another installation (`bindir`: the `pgserver` wheel's build, which
includes the pgvector extension Debian bookworm does not package). As root, the
cluster runs as the `postgres` user (or `nobody`) in a temporary folder it owns.
Skips with the reason when anything is missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest


def _bindir() -> str | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return os.path.dirname(os.path.realpath(found))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_server_fixture(bindir: str | None = None):
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'signver-keras[gallery-postgres]')")
    bindir = bindir or _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="signver-pg-")
    if os.geteuid() == 0:
        for user in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(user)
                break
            except KeyError:
                entry = None
        if entry is None or not shutil.which("runuser"):
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("running as root without a 'postgres'/'nobody' user or runuser")
        os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chmod(root, 0o700)
        prefix = ["runuser", "-u", entry.pw_name, "--"]
    data, log, port = f"{root}/data", f"{root}/server.log", _free_port()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    init = run(
        f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = run(f"{bindir}/pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")
    if start.returncode != 0:
        text = open(log).read()[-300:] if os.path.exists(log) else start.stderr
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {text.strip()}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
