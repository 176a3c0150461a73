"""The archive database: the only module of the project that imports SQLAlchemy."""

from __future__ import annotations
