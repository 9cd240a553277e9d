"""The dashboard page in headless Chromium, signed in as a leader, with a screenshot in test-artifacts/reports/.

It needs Debian's chromium and the npm packages of the end-to-end tests
(`scripts/install-e2e` installs both) and is skipped when either is missing.
"""

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from tests.reports.conftest import LEADER_OID

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCRIPT = HERE / "dashboard_screenshot.mjs"
PLAYWRIGHT = REPO / "tests" / "e2e" / "node" / "node_modules" / "playwright-core"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "reports"
BROWSER_TIMEOUT_SECONDS = 90


@pytest.fixture
def browser_available():
    missing = [str(path) for path in (CHROMIUM, PLAYWRIGHT) if not path.exists()]
    if not shutil.which("node"):
        missing.append("node")
    if missing:
        pytest.skip(f"the browser check needs {', '.join(missing)}; run scripts/install-e2e")


async def run_browser(url: str, screenshot: Path) -> dict:
    process = await asyncio.create_subprocess_exec(
        "node", str(SCRIPT), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    job = json.dumps({"url": url, "screenshot": str(screenshot)}).encode("utf-8")
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(job), BROWSER_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the browser did not finish within {BROWSER_TIMEOUT_SECONDS} s") from None
    lines = stdout.decode("utf-8").strip().splitlines()
    assert lines, f"the browser script printed nothing (exit code {process.returncode}): {stderr.decode('utf-8')[-2000:]}"
    return json.loads(lines[-1])


async def test_leader_sees_dashboard(browser_available, dashboard, sso):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "dashboard.png"
    url = str(dashboard.make_url("/dashboard")) + "#token=" + sso.token(LEADER_OID, "Lynne Robbins")

    result = await run_browser(url, screenshot)

    assert result["ok"], result
    assert result["blockedRequests"] == []
    assert result["pageErrors"] == []
    assert result["chartLoaded"] is True
    assert screenshot.stat().st_size > 10_000
