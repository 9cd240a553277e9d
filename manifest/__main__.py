"""Run the packaging command, so `python -m manifest` works like `python -m manifest.package`."""

import sys

from manifest.package import main

sys.exit(main())
