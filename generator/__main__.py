"""`python -m generator` is `mlcsite`."""

import sys

from .cli import main

sys.exit(main())
