"""The unicrm pytest plugin (entry point ``pytest11``): hypothesis profiles and plugin isolation.

* Profiles: ``ci`` (default; derandomized, fast) and ``thorough`` (many more examples). Choose
  with ``--hypothesis-profile=thorough`` or ``HYPOTHESIS_PROFILE=thorough``.
* Tests never load stray installed plugins: ``UNICRM_PLUGINS`` is set to the first-party
  plugins unless the environment already sets it, and the plugin manager is reset.
"""

from __future__ import annotations

import os

import pytest

FIRST_PARTY_PLUGINS = "memory,bitrix24,amocrm"


def _register_profiles() -> None:
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # hypothesis is a test extra; the plugin works without it
        return
    common = {
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    settings.register_profile("ci", max_examples=60, derandomize=True, **common)  # type: ignore[arg-type]
    settings.register_profile("thorough", max_examples=1000, **common)  # type: ignore[arg-type]
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Registered at import, before hypothesis' own plugin reads --hypothesis-profile.
_register_profiles()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("UNICRM_PLUGINS", FIRST_PARTY_PLUGINS)
    from unicrm.plugins import reset

    reset()
