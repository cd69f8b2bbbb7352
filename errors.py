"""The one exception type for bad input.

Every check on user input raises :class:`InputError` with a single line that names what is
wrong and how to fix it; the CLI prints that line and exits with status 2.
"""


class InputError(ValueError):
    """Input that tda-pipe cannot use: a one-line message naming the problem and the fix."""
