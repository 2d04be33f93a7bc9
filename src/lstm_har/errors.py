"""Every error the package raises on purpose; the CLI turns each into one line and exit 2.

::

    LstmHarError                  bad input or a state the user can fix; the message says all
    ├── ConfigError (ValueError)  a training config: unknown field, wrong type, out of range
    ├── DataError (ValueError)    a recording, dataset file or folder: missing, malformed
    │   └── DownloadError         ``lstm-har data download``: network, size or checksum
    └── CheckpointError (ValueError)  a run directory or model: missing, torn, inconsistent

Anything else escaping a command is a bug (exit 1).
"""


class LstmHarError(Exception):
    """Base class: bad input or a state the user can fix. The message is the whole story."""


class ConfigError(LstmHarError, ValueError):
    """A training config (file, flags or a run's config.json) that cannot be used."""


class DataError(LstmHarError, ValueError):
    """A data file or directory is missing, malformed, or not what it claims to be."""


class DownloadError(DataError):
    """A download failed (network, size or checksum); nothing was written."""


class CheckpointError(LstmHarError, ValueError):
    """A run directory or checkpoint is missing, incomplete or inconsistent."""
