"""``python -m ingestion.demo_api``: see :mod:`ingestion.demo_api.cli`."""

import sys

from ingestion.demo_api.cli import main

sys.exit(main())
