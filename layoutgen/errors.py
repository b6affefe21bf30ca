"""The one exception type for user errors (bad input, impossible targets)."""


class LayoutgenError(Exception):
    """A user-facing error: the CLI prints its one-line message and exits with code 2."""
