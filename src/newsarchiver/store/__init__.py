"""The archive database: the only module of the project that imports SQLAlchemy.

:class:`Archive` stores snapshots as numbered versions and logs every fetch;
:func:`upgrade` applies the schema migrations (``newsarchiver db upgrade``).
The tables and views are documented in ``docs/schema.md``.
"""

from __future__ import annotations

from newsarchiver.store.archive import Archive
from newsarchiver.store.engine import current_revision, upgrade

__all__ = ["Archive", "current_revision", "upgrade"]
