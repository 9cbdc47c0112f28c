"""A throwaway PostgreSQL cluster in a temporary directory, for the test suite.

Used when ACADEMY_TEST_DATABASE_URL is not set and Debian's server binaries are
installed (/usr/lib/postgresql/<version>/bin). initdb refuses to run as root,
so as root the cluster is created and started as the ``postgres`` user. It
listens only on a Unix socket inside the temporary directory.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = "apt-get install postgresql   (or set ACADEMY_TEST_DATABASE_URL)"


def server_bin_dir() -> Path | None:
    """The newest installed PostgreSQL server bin directory, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    def __init__(self) -> None:
        self.bin = server_bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found: " + INSTALL_HINT)
        self.root = Path(tempfile.mkdtemp(prefix="academy-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.port = 5432 + 1000 + os.getpid() % 20000
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o755)

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C")
        self.start_server()
        return f"postgresql+psycopg://postgres@/postgres?host={self.socket_dir}&port={self.port}"

    def start_server(self) -> None:
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} "
                   f"-p {self.port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.root / "server.log"), "start")

    def stop_server(self) -> None:
        """Stop the server but keep its data (the fault test starts it again)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _has_c_utf8() -> bool:
    return Path("/usr/lib/locale/C.utf8").exists() or Path("/usr/lib/locale/C.UTF-8").exists()
