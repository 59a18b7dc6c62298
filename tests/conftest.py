"""Test settings shared by every file: hypothesis runs without a deadline (this machine is shared, so
timings vary), and `HYPOTHESIS_PROFILE=ci` makes its draws the same on every run."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
