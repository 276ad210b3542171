"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for tests and benchmarks
(no mock of PostgreSQL).  PostgreSQL refuses to run as root: as root the cluster runs as the
package's ``postgres`` user (through ``runuser``); as anyone else, as that user.

The superuser connects over the cluster's own Unix socket (trust); the team's roles connect over
TCP on 127.0.0.1 with a password (scram-sha-256), as an instance on another host would.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<v>/bin`` with initdb, or None (not installed)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """``start()`` runs initdb and the server; ``stop()``/``start()`` again keep the data (a
    PostgreSQL outage in a test); ``destroy()`` removes it all."""

    def __init__(self, bindir: Path, base: Path | None = None) -> None:
        self.bindir = bindir
        self.base = base or Path(tempfile.mkdtemp(prefix="expereo-pg-"))
        self.data = self.base / "data"
        self.sock = self.base / "sock"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        self._initialised = False

    # -- running commands as the cluster's owner ---------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def _init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.sock.mkdir(exist_ok=True)
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            for path in (self.base, self.sock):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        self._initialised = True

    def start(self) -> None:
        if not self._initialised:
            self._init()
        options = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.base / "server.log"),
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
                  check=False)  # fmt: skip

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    # -- SQL as the superuser ----------------------------------------------------------------
    def psql(self, sql: str, *, db: str = "postgres") -> str:
        out = self._run(
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.sock),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            db,
            "-At",
            "-c",
            sql,
        )
        return out.stdout.strip()

    def new_team(self) -> Team:
        """A new database with the roles docs/team.md tells an administrator to create: an
        owner that instances log in as (it migrates the schema) and a reader for walls."""
        name = "t" + uuid.uuid4().hex[:10]
        owner, reader = f"{name}_team", f"{name}_wall"
        owner_pw, reader_pw = uuid.uuid4().hex, uuid.uuid4().hex
        self.psql(
            f"CREATE ROLE {owner} LOGIN PASSWORD '{owner_pw}';"
            f"CREATE ROLE {reader} LOGIN PASSWORD '{reader_pw}';"
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            "'expereo_readers') THEN CREATE ROLE expereo_readers NOLOGIN; END IF; END $$;"
            f"GRANT expereo_readers TO {reader};"
        )
        self.psql(f"CREATE DATABASE {name} OWNER {owner}")
        self.psql(f"REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT ALL ON SCHEMA public TO {owner}",
                  db=name)  # fmt: skip
        return Team(self, name, owner, owner_pw, reader, reader_pw)


class Team:
    """One team store in a cluster: its database, and the owner's and the wall's logins."""

    def __init__(self, cluster: PgCluster, db: str, owner: str, owner_pw: str, reader: str,
                 reader_pw: str) -> None:  # fmt: skip
        self.cluster, self.db = cluster, db
        self.owner, self.owner_password = owner, owner_pw
        self.reader, self.reader_password = reader, reader_pw

    def url(self, *, reader: bool = False) -> str:
        user = self.reader if reader else self.owner
        return f"postgresql://{user}@127.0.0.1:{self.cluster.port}/{self.db}"

    def password(self, *, reader: bool = False) -> str:
        return self.reader_password if reader else self.owner_password

    def sql(self, sql: str) -> str:
        return self.cluster.psql(sql, db=self.db)
