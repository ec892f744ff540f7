"""`python -m hirehound.cli`, as the tests and containers call it."""

import sys

from hirehound.cli import main

sys.exit(main())
