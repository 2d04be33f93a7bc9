"""The one exception family the CLI turns into a one-line message and a non-zero exit."""


class LstmHarError(Exception):
    """Base class: bad input or a state the user can fix. The message is the whole story."""


class DataError(LstmHarError, ValueError):
    """A data file or directory is missing, malformed, or not what it claims to be."""


class CheckpointError(LstmHarError, ValueError):
    """A run directory or checkpoint is missing, incomplete or inconsistent."""
