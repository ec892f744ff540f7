"""`python -m deployments.setup [--dry-run]`, as CI runs it."""

from deployments.setup import main

raise SystemExit(main())
