"""Connection options and secrets for the CLI: from the environment or a config file.

Secrets are never taken only from the command line. Any adapter option can come from an
environment variable ``UNICRM_<ADAPTER>_<OPTION>`` (``UNICRM_AMOCRM_TOKEN``,
``UNICRM_BITRIX24_WEBHOOK`` ...; string values) and from a TOML file (``$UNICRM_CONFIG`` or
``~/.config/unicrm/config.toml``) per adapter name or per exact URL. From weakest to
strongest: ``[adapters.<name>]``, the environment, ``[urls."<url>"]``::

    [adapters.amocrm]
    token = "..."

    [urls."amocrm+http://127.0.0.1:8002"]
    token = "..."

Option values from the file are wrapped nowhere else: they go straight to
:func:`unicrm.connect_async` and are never printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from unicrm.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ENV_CONFIG = "UNICRM_CONFIG"


def config_path() -> Path:
    """Where the config file is looked for."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "unicrm" / "config.toml"


def load_config() -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none."""
    path = config_path()
    if not path.exists():
        if os.environ.get(ENV_CONFIG):
            raise ConfigurationError(f"{ENV_CONFIG} names {path}, which does not exist")
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc}") from None
    return data


def env_options(adapter_name: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``UNICRM_<ADAPTER>_<OPTION>`` variables as ``{"option": value}`` for ``adapter_name``."""
    prefix = "UNICRM_" + adapter_name.upper().replace("-", "_") + "_"
    source = os.environ if environ is None else environ
    return {
        key[len(prefix) :].lower(): value
        for key, value in source.items()
        if key.startswith(prefix) and len(key) > len(prefix)
    }


def options_for(
    url: str, adapter_name: str, config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Adapter options for ``url``: ``[adapters.<name>]``, then the environment, then
    ``[urls."<url>"]``, each overriding the one before."""
    data = load_config() if config is None else config
    tables = (
        data.get("adapters", {}).get(adapter_name),
        env_options(adapter_name),
        data.get("urls", {}).get(url),
    )
    found: dict[str, Any] = {}
    for table in tables:
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigurationError(f"config tables must be TOML tables ({config_path()})")
        found.update(table)
    return found
