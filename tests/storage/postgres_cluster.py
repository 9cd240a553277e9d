"""A throwaway PostgreSQL cluster for tests and benchmarks, served on 127.0.0.1 only.

`PostgresCluster.start()` runs initdb into a new temporary folder and starts
the server with pg_ctl on a free port, with its Unix socket in the same
folder. PostgreSQL refuses to run as root, so under root both commands run
as the `nobody` user through runuser. `stop()` stops the server and removes
the folder. The cluster trusts every local connection, so it must never hold
real data.
"""

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

INSTALL_HINT = (
    "run scripts/test (it installs them with scripts/install-postgres), "
    "or set HELPDESK_TEST_DATABASE_URL to a PostgreSQL database the tests may use"
)
DEBIAN_SERVER_ROOT = Path("/usr/lib/postgresql")
SERVER_USER_UNDER_ROOT = "nobody"
SUPERUSER = "postgres"
DATABASE = "postgres"
START_TIMEOUT_SECONDS = 60

# Settings that make a test server fast. A crash may then lose data, which does not matter for a throwaway cluster.
FAST_UNSAFE_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresNotInstalled(RuntimeError):
    """The PostgreSQL server programs (initdb, pg_ctl) were not found."""


def find_server_bin_dir(debian_root: Path = DEBIAN_SERVER_ROOT) -> Path:
    """Return the folder of initdb and pg_ctl: from PATH, else the newest <debian_root>/<version>/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = []
    for folder in debian_root.glob("*/bin"):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file() and re.fullmatch(r"\d+", folder.parent.name):
            candidates.append((int(folder.parent.name), folder))
    if not candidates:
        raise PostgresNotInstalled(
            f"PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or in {debian_root}/*/bin. To fix this, " + INSTALL_HINT
        )
    return max(candidates)[1]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_search_path(url: str, schema: str) -> str:
    """Return the URL with `search_path` set, which asyncpg sends to the server as a session setting."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query) if name != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


class PostgresCluster:
    """A PostgreSQL server in a temporary folder. Its `url` is set once `start()` returns."""

    def __init__(self, settings: dict[str, str] | None = None):
        self.settings = dict(settings or {})
        self.bin_dir = find_server_bin_dir()
        self.folder: Path | None = None
        self.port: int | None = None
        self.url: str | None = None

    @property
    def data_dir(self) -> Path:
        return self._require_folder() / "data"

    @property
    def log_path(self) -> Path:
        return self._require_folder() / "server.log"

    def start(self) -> str:
        """Create and start the cluster and return its URL. Raises RuntimeError with the server log on failure."""
        self.folder = Path(tempfile.mkdtemp(prefix="helpdesk-postgres-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER_UNDER_ROOT)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run(
            "initdb", "--pgdata", str(self.data_dir), "--username", SUPERUSER, "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C", "--no-sync",
        )
        self.port = free_port()
        options = ["-c", "listen_addresses=127.0.0.1", "-p", str(self.port), "-k", str(self.folder)]
        for name, value in self.settings.items():
            options += ["-c", f"{name}={value}"]
        try:
            self._run(
                "pg_ctl", "--pgdata", str(self.data_dir), "--log", str(self.log_path), "--wait",
                "--timeout", str(START_TIMEOUT_SECONDS), "-o", shlex.join(options), "start",
            )
        except RuntimeError as error:
            log = self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no server log)"
            self._remove_folder()
            raise RuntimeError(f"{error}\nserver log:\n{log}") from None
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"
        return self.url

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder. A second call does nothing."""
        if self.folder is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", "fast", "--wait", "stop")
        finally:
            self._remove_folder()

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin_dir / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER_UNDER_ROOT, "--", *command]
        result = subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS + 30,
            env={**os.environ, "LC_ALL": "C"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed with exit code {result.returncode}: {result.stderr.strip() or result.stdout.strip()}")

    def _remove_folder(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _require_folder(self) -> Path:
        if self.folder is None:
            raise RuntimeError("the PostgreSQL cluster is not started")
        return self.folder
