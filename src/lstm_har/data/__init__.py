"""Datasets: readers of the files as published (``sources``, pure I/O), UCI HAR windows with
their task views, subject split and cache (``uci_har``), and the one download (``download``)."""

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
    "load_uci_har",
    "subject_split",
]
