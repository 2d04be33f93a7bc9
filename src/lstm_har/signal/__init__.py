"""Signal processing, pure numpy/scipy: UCI HAR filters and windows (``filters``), each
recording's upright pose and the tilt channels read against it (``calibration``), the
smoothing HMM (``smoothing``), a phone lying still (``wear``), and sitting or standing read
against the recording's own postures (``posture``)."""

from .calibration import CALIBRATED_CHANNELS, calibrate, samples_upright
from .filters import CHANNELS, SAMPLE_RATE_HZ, STEP, WINDOW, SignalFilter, Windower

__all__ = [
    "CALIBRATED_CHANNELS",
    "CHANNELS",
    "SAMPLE_RATE_HZ",
    "STEP",
    "WINDOW",
    "SignalFilter",
    "Windower",
    "calibrate",
    "samples_upright",
]
