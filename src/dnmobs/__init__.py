"""dnmobs: an observatory for online drug markets.

Data flows one way: sources -> ingest -> store -> extract -> link -> analyze -> report/serve.
"""

__version__ = "0.1.0"


class DnmobsError(Exception):
    """A user-facing failure: the CLI prints its message as one line and exits non-zero."""
