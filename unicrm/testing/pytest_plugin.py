"""An opt-in pytest plugin for adapter authors; installing unicrm does not register it.

Turn it on in your adapter's ``conftest.py``::

    pytest_plugins = ["unicrm.testing.pytest_plugin"]

(or run ``pytest -p unicrm.testing.pytest_plugin``). The compliance suite does not need it:
``from unicrm.testing import ComplianceSuite`` works without. Once on, it

* names the unicrm adapters that loaded, with their URL schemes, in pytest's report header, so
  an adapter whose entry point is missing shows before a test fails with "no adapter for URL
  scheme";
* registers two hypothesis profiles, ``unicrm-ci`` (60 examples, derandomised, no deadline) and
  ``unicrm-thorough`` (1000 examples), without loading either: choose one with
  ``--hypothesis-profile=unicrm-thorough``. The suite runs at least as many examples as the
  active profile asks for.

It sets no environment variable, loads no profile and loads no unicrm plugin the environment
would not load anyway.
"""

from __future__ import annotations

import pytest

import unicrm
from unicrm.errors import ConfigurationError

PROFILES = {"unicrm-ci": {"max_examples": 60, "derandomize": True}, "unicrm-thorough": {}}


def _register_profiles() -> None:
    from hypothesis import HealthCheck, settings

    for name, values in PROFILES.items():
        settings.register_profile(
            name,
            max_examples=values.get("max_examples", 1000),
            derandomize=values.get("derandomize", False),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )


# At import (when conftest.py names the plugin), before hypothesis reads --hypothesis-profile.
_register_profiles()


def pytest_report_header(config: pytest.Config) -> str:
    """``unicrm 0.1.0; adapters: memory (memory), mycrm (mycrm, mycrm+http)``."""
    from unicrm.plugins import adapters

    try:
        found = sorted(adapters(), key=lambda spec: spec.name)
    except ConfigurationError as exc:
        return f"unicrm {unicrm.__version__}; plugins failed to load: {exc}"
    listed = ", ".join(f"{spec.name} ({', '.join(spec.schemes)})" for spec in found)
    return f"unicrm {unicrm.__version__}; adapters: {listed or 'none'}"
