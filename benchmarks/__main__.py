"""`python -m benchmarks` runs the turn and storage benchmarks of benchmarks/run.py."""

import sys

from benchmarks.run import main

sys.exit(main())
