"""Facts about the machine and packages behind a benchmark's figures, recorded beside them."""

import os
import platform
from importlib import metadata


def cpu_model() -> str:
    """Return the processor model name from /proc/cpuinfo (Linux), or the machine type elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def machine_facts(*packages: str) -> dict[str, object]:
    """Return the Python version, platform, processor, CPU count and the installed version of each package."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": cpu_model(),
        "cpus": os.cpu_count(),
        **{package: metadata.version(package) for package in packages},
    }
