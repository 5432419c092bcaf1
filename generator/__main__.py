"""`python -m generator` is `mlcsite`."""

from .cli import run

run()
