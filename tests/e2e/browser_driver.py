"""Run node/drive.mjs, which drives the Playground page in headless Chromium."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
DRIVE_SCRIPT = NODE_DIR / "drive.mjs"


class DriverError(AssertionError):
    """A step of a browser run failed; the message names the step and the failure screenshot."""


class BrowserDriver:
    """Runs node/drive.mjs: one fresh headless Chromium per run, steps as JSON (see drive.mjs)."""

    def __init__(self, base_url: str, bot_name: str, artifacts_dir: Path):
        self.base_url = base_url
        self.bot_name = bot_name
        self.artifacts_dir = artifacts_dir

    def run(self, steps: list[dict[str, Any]], name: str = "browser", timeout: float = 60.0) -> dict[str, Any]:
        """Run steps in the page and return drive.mjs's result; raise DriverError when a step fails.

        A failing run leaves `<name>-failure.png` in the artefacts folder.
        """
        script = {
            "baseUrl": self.base_url,
            "botName": self.bot_name,
            "failureScreenshot": str(self.artifacts_dir / f"{name}-failure.png"),
            "steps": steps,
        }
        try:
            completed = subprocess.run(
                ["node", str(DRIVE_SCRIPT)],
                input=json.dumps(script),
                capture_output=True,
                text=True,
                cwd=NODE_DIR,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise DriverError(f"browser run {name!r} timed out after {timeout:.0f} s") from error

        lines = completed.stdout.strip().splitlines()
        try:
            result = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            raise DriverError(
                f"browser run {name!r} printed no result (exit code {completed.returncode}):\n"
                f"{completed.stdout[-2000:]}{completed.stderr[-3000:]}"
            ) from None
        if not result.get("ok"):
            raise DriverError(
                f"browser run {name!r} failed: {result.get('error')}; "
                f"screenshot: {result.get('failureScreenshot')}; stderr: {completed.stderr[-2000:]}"
            )
        return result

    def screenshot_path(self, name: str) -> str:
        return str(self.artifacts_dir / f"{name}.png")
