"""Datasets: readers of the files as published (``sources``, pure I/O), UCI HAR windows with
their task views, subject split and cache (``uci_har``), MotionSense (``motionsense``), and the
one download command (``download``)."""

from .motionsense import load_motionsense
from .uci_har import (
    ACTIVITIES,
    TASKS,
    TEST_SUBJECTS,
    WALKING_CLASSES,
    Windows,
    count_table,
    load_uci_har,
    subject_split,
)

__all__ = [
    "ACTIVITIES",
    "TASKS",
    "TEST_SUBJECTS",
    "WALKING_CLASSES",
    "Windows",
    "count_table",
    "load_motionsense",
    "load_uci_har",
    "subject_split",
]
