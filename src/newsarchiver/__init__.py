"""newsarchiver: archive news articles as versioned, diffable snapshots."""

__version__ = "0.1.0"
