"""The pipeline: the one place where stages meet.

fetch -> extract -> fingerprint (diff) -> store, for pages named directly
(:func:`archive_targets`) and for passes that discover sources and re-check due
articles under leases (:func:`run_pass`).
"""

from newsarchiver.pipeline.archiving import Target, extract_target, open_fetcher
from newsarchiver.pipeline.passes import PassOptions, run_pass, run_pass_async
from newsarchiver.pipeline.sharding import archive_targets

__all__ = [
    "PassOptions",
    "Target",
    "archive_targets",
    "extract_target",
    "open_fetcher",
    "run_pass",
    "run_pass_async",
]
