"""Test settings shared by every file: the no_gc fixture; hypothesis runs without a deadline (this machine is shared, so
timings vary), and `HYPOTHESIS_PROFILE=ci` makes its draws the same on every run."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees memory inside the test."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
