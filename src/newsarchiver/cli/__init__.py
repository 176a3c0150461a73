"""The ``newsarchiver`` command: a thin layer over the pipeline and the archive.

Exit codes: 0 the command completed (single-URL failures are reported, not fatal);
1 nothing could be archived, or the thing asked for is not in the archive;
2 usage or configuration errors. Only this package turns errors into messages.
"""

from newsarchiver.cli import archiving, reading  # noqa: F401  (registers the commands)
from newsarchiver.cli.base import main

__all__ = ["main"]
