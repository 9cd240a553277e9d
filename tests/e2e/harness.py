"""Run the bot, the Microsoft 365 Agents Playground and headless Chromium for end-to-end tests.

Everything listens on and talks to 127.0.0.1 only. The Playground listens on
every interface unless `node/listen-loopback.cjs` is preloaded, and
`start_playground` checks the result.

The Playground client is in playground_client.py (with the request shapes of its
internal interface) and the browser driver in browser_driver.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from .browser_driver import DRIVE_SCRIPT, BrowserDriver, DriverError
from .playground_client import BotMessage, LoggedRequest, PlaygroundClient, PlaygroundError, PlaygroundUser

__all__ = [
    "ARTIFACTS_DIR",
    "BotMessage",
    "BrowserDriver",
    "BrowserSession",
    "DriverError",
    "E2EEnvironment",
    "HarnessError",
    "LoggedRequest",
    "ManagedProcess",
    "PlaygroundClient",
    "PlaygroundError",
    "PlaygroundUser",
    "free_port",
    "install_e2e_dependencies",
    "listening_addresses",
    "running_environment",
    "start_bot",
    "start_playground",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
NODE_DIR = E2E_DIR / "node"
LOOPBACK_PRELOAD = NODE_DIR / "listen-loopback.cjs"
PLAYGROUND_BIN = NODE_DIR / "node_modules" / ".bin" / "agentsplayground"
PLAYGROUND_CONFIG = REPO_ROOT / "config" / "playground" / ".m365agentsplayground.yml"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-e2e"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "e2e"

LOOPBACK = "127.0.0.1"
# Set to a Python file to run it instead of bot.py, for example a small echo bot
# while bot.py is broken. It gets the same HOST, PORT and HELPDESK_DATA_DIR.
BOT_SCRIPT_VARIABLE = "HELPDESK_E2E_BOT_SCRIPT"


class HarnessError(RuntimeError):
    """A process of the end-to-end setup failed to start, respond or stop."""


def install_e2e_dependencies() -> None:
    """Run scripts/install-e2e, which installs Chromium and the npm packages when missing."""
    completed = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    if completed.returncode != 0:
        raise HarnessError(
            f"{INSTALL_SCRIPT} failed with exit code {completed.returncode}:\n{completed.stderr}{completed.stdout}"
        )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float, description: str, interval: float = 0.1) -> None:
    """Poll condition until it returns True; raise HarnessError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {description}")
        time.sleep(interval)


class ManagedProcess:
    """A child process in its own session, with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path, log_path: Path):
        self.name = name
        self.args = args
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise HarnessError(f"{self.name} was not started")
        return self.process.pid

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_running(self) -> None:
        """Raise HarnessError with the end of the log when the process has exited."""
        if self.process is not None and self.process.poll() is not None:
            raise HarnessError(
                f"{self.name} (pid {self.process.pid}) exited with code {self.process.returncode}; "
                f"end of {self.log_path}:\n{self.log_tail()}"
            )

    def log_tail(self, max_chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:]
        except FileNotFoundError:
            return "(no log file)"

    def stop(self, timeout: float = 5.0) -> None:
        """Send SIGTERM to the process group started here, then SIGKILL after timeout seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        # The child leads its own session, so its process group id is its pid.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


def _http_responds(url: str) -> bool:
    """Return True when an HTTP server responds to url with any status."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def start_bot(port: int, data_dir: Path, log_path: Path, timeout: float = 30.0) -> ManagedProcess:
    """Start `python bot.py` on 127.0.0.1:port and wait until it responds to HTTP."""
    script = os.environ.get(BOT_SCRIPT_VARIABLE) or str(REPO_ROOT / "bot.py")
    if not Path(script).is_file():
        raise HarnessError(f"bot script {script} not found; set {BOT_SCRIPT_VARIABLE} to run another one")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOST": LOOPBACK,
        "PORT": str(port),
        "HELPDESK_DATA_DIR": str(data_dir),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "PYTHONUNBUFFERED": "1",
    }
    bot = ManagedProcess("bot", [sys.executable, script], env, REPO_ROOT, log_path)
    bot.start()

    # Any HTTP response (405 to a GET on /api/messages) means the app is serving.
    url = f"http://{LOOPBACK}:{port}/api/messages"

    def ready() -> bool:
        bot.check_running()
        return _http_responds(url)

    try:
        wait_until(ready, timeout, f"the bot to respond on {url}")
    except HarnessError:
        bot.stop()
        raise
    return bot


def start_playground(
    port: int, bot_port: int, work_dir: Path, log_path: Path, timeout: float = 30.0
) -> ManagedProcess:
    """Start the Agents Playground on 127.0.0.1:port for the bot on bot_port and wait until it responds.

    The Playground's own log goes to log_path, its console output next to it, and
    anything it writes into its working folder stays in work_dir.
    """
    if not PLAYGROUND_BIN.exists():
        raise HarnessError(f"{PLAYGROUND_BIN} is missing; run {INSTALL_SCRIPT}")
    work_dir.mkdir(parents=True, exist_ok=True)
    node_options = f"{os.environ.get('NODE_OPTIONS', '')} --require {LOOPBACK_PRELOAD}".strip()
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        "NODE_OPTIONS": node_options,
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(PLAYGROUND_CONFIG),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_path),
    }
    args = [
        str(PLAYGROUND_BIN),
        "-e",
        f"http://{LOOPBACK}:{bot_port}/api/messages",
        "-c",
        "msteams",
        "-p",
        str(port),
        "--disable-telemetry",
    ]
    console_log = log_path.with_name(log_path.stem + "-console.log")
    playground = ManagedProcess("playground", args, env, work_dir, console_log)
    playground.start()

    url = f"http://{LOOPBACK}:{port}/_debug/ping"

    def ready() -> bool:
        playground.check_running()
        return _http_responds(url)

    try:
        wait_until(ready, timeout, f"the Playground to respond on {url}")
        exposed = [address for address in listening_addresses(playground.pid) if not address.startswith("127.")]
        if exposed:
            raise HarnessError(f"the Playground listens beyond loopback on {exposed}; the preload did not apply")
    except HarnessError:
        playground.stop()
        raise
    return playground


def listening_addresses(pid: int) -> list[str]:
    """Return "address:port" for each listening TCP socket of process pid, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])

    addresses = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(FileNotFoundError), open(table) as rows:
            next(rows)
            for row in rows:
                columns = row.split()
                local, state, inode = columns[1], columns[3], columns[9]
                if state != "0A" or inode not in inodes:  # 0A is TCP_LISTEN
                    continue
                address_hex, port_hex = local.split(":")
                addresses.append(f"{_decode_proc_address(address_hex, width)}:{int(port_hex, 16)}")
    return addresses


def _decode_proc_address(address_hex: str, width: int) -> str:
    # /proc/net/tcp stores each 32-bit word of the address in host (little-endian) order.
    raw = b"".join(bytes.fromhex(address_hex[i : i + 8])[::-1] for i in range(0, width, 8))
    return socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6, raw)


class BrowserSession:
    """One headless Chromium page that stays open across batches of steps (`node drive.mjs --session`).

    The Playground page shows only the bot messages that arrive while it is
    open, and it has no history to load. A test that acts as other users
    between browser steps therefore keeps one page open with this class.
    Steps are the same as for BrowserDriver.run. viewport is {"width", "height"}
    in CSS pixels; drive.mjs defaults to 1400 x 900.
    """

    def __init__(
        self,
        base_url: str,
        bot_name: str,
        artifacts_dir: Path,
        log_path: Path,
        viewport: dict[str, int] | None = None,
    ):
        self.base_url = base_url
        self.bot_name = bot_name
        self.artifacts_dir = artifacts_dir
        self.log_path = log_path
        self.viewport = viewport
        self.process: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    def start(self, timeout: float = 60.0) -> None:
        """Start drive.mjs in session mode and wait until Chromium has launched."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                ["node", str(DRIVE_SCRIPT), "--session"],
                cwd=NODE_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                start_new_session=True,
            )
        reader = threading.Thread(target=self._read_stdout, name="browser-session-stdout", daemon=True)
        reader.start()
        script: dict[str, Any] = {"baseUrl": self.base_url, "botName": self.bot_name}
        if self.viewport is not None:
            script["viewport"] = self.viewport
        self._send(script)
        self._read_result("start", timeout)

    def run(self, steps: list[dict[str, Any]], name: str = "browser", timeout: float = 60.0) -> dict[str, Any]:
        """Run steps in the open page and return drive.mjs's result. Raise DriverError when a step fails.

        A failing batch leaves `<name>-failure.png` in the artefacts folder.
        """
        self._send({"steps": steps, "failureScreenshot": str(self.artifacts_dir / f"{name}-failure.png")})
        return self._read_result(name, timeout)

    def screenshot_path(self, name: str) -> str:
        return str(self.artifacts_dir / f"{name}.png")

    def close(self, timeout: float = 15.0) -> None:
        """End stdin so that drive.mjs closes Chromium, then stop its process group if it has not exited."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # drive.mjs leads its own session, so its process group id is its pid.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def _send(self, message: dict[str, Any]) -> None:
        if self.process is None or self.process.poll() is not None:
            raise DriverError(f"the browser session is not running; see {self.log_path}")
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def _read_stdout(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_result(self, name: str, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise DriverError(f"browser batch {name!r} timed out after {timeout:.0f} s; see {self.log_path}") from None
        if line is None:
            raise DriverError(f"the browser session exited during batch {name!r}; see {self.log_path}")
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            raise DriverError(f"browser batch {name!r} printed {line[:500]!r} instead of a JSON result") from None
        if not result.get("ok"):
            raise DriverError(
                f"browser batch {name!r} failed: {result.get('error')}; screenshot: {result.get('failureScreenshot')}"
            )
        return result


@dataclass
class E2EEnvironment:
    """The running bot and Playground, a client for the Playground and a browser driver."""

    bot: ManagedProcess
    playground: ManagedProcess
    client: PlaygroundClient
    browser: BrowserDriver
    artifacts_dir: Path
    data_dir: Path
    playground_url: str

    @contextlib.contextmanager
    def browser_session(
        self, name: str = "browser-session", viewport: dict[str, int] | None = None
    ) -> Iterator[BrowserSession]:
        """Open one Playground page for several batches of steps, logging drive.mjs's errors to `<name>.log`."""
        session = BrowserSession(
            self.playground_url, self.client.bot.name, self.artifacts_dir, self.artifacts_dir / f"{name}.log", viewport
        )
        try:
            session.start()
            yield session
        finally:
            session.close()


@contextlib.contextmanager
def running_environment(work_dir: Path, artifacts_dir: Path = ARTIFACTS_DIR) -> Iterator[E2EEnvironment]:
    """Start the bot, the Playground and the stream client; stop all of them on exit.

    The bot keeps its data in work_dir/data; logs go to artifacts_dir.
    """
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    bot_port = free_port()
    playground_port = free_port()
    data_dir = work_dir / "data"
    started: list[ManagedProcess] = []
    client: PlaygroundClient | None = None
    try:
        bot = start_bot(bot_port, data_dir, artifacts_dir / "bot.log")
        started.append(bot)
        playground = start_playground(
            playground_port, bot_port, work_dir / "playground", artifacts_dir / "playground.log"
        )
        started.append(playground)

        playground_url = f"http://{LOOPBACK}:{playground_port}"
        client = PlaygroundClient(playground_url)
        client.start()
        browser = BrowserDriver(playground_url, client.bot.name, artifacts_dir)
        yield E2EEnvironment(bot, playground, client, browser, artifacts_dir, data_dir, playground_url)
    finally:
        if client is not None:
            client.close()
        for process in reversed(started):
            process.stop()
