"""Winback: win back lapsed B2B customers.

The core library. Flows are plain typed functions; every external system sits
behind a small interface chosen by name in :class:`agent.settings.Settings`.
"""

__version__ = "0.1.0"
