"""Fetching: the only module of the project that imports httpx."""

from __future__ import annotations
