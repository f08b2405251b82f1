"""This repository's own test settings; nothing here ships with unicrm.

* Hypothesis profiles ``ci`` (the default: 60 examples, derandomised, no deadline) and
  ``thorough`` (1000 examples); choose with ``HYPOTHESIS_PROFILE=thorough`` or
  ``--hypothesis-profile=thorough``.
* Tests never load stray installed unicrm plugins: ``UNICRM_PLUGINS`` is pinned to the
  first-party plugins unless the environment already sets it, and the plugin manager starts
  afresh. Tests that run a third-party adapter in a subprocess remove the variable there.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]  # the compliance kit's own tests run the suite on adapters

FIRST_PARTY_PLUGINS = "memory,bitrix24,amocrm"

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=1000, **_COMMON)  # type: ignore[arg-type]
# At import, before hypothesis' own plugin reads --hypothesis-profile (which then wins).
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("UNICRM_PLUGINS", FIRST_PARTY_PLUGINS)
    from unicrm.plugins import reset

    reset()
