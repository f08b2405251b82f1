"""Where the CLI's connection options come from: config tables and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from unicrm.cli.config import env_options, options_for
from unicrm.errors import ConfigurationError


def test_env_options_take_the_adapters_prefix_only() -> None:
    environ = {
        "UNICRM_AMOCRM_TOKEN": "t0k",
        "UNICRM_AMOCRM_CLIENT_SECRET": "s3c",
        "UNICRM_BITRIX24_WEBHOOK": "1/abc",
        "UNICRM_AMOCRM_": "nameless",
        "UNICRM_CONFIG": "/x.toml",
        "AMOCRM_TOKEN": "other",
    }
    assert env_options("amocrm", environ) == {"token": "t0k", "client_secret": "s3c"}
    assert env_options("bitrix24", environ) == {"webhook": "1/abc"}
    assert env_options("memory", environ) == {}


def test_url_table_beats_environment_beats_adapter_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "amocrm+http://127.0.0.1:9"
    config = {
        "adapters": {"amocrm": {"token": "from-adapters", "rate": 3}},
        "urls": {url: {"rate": 5}},
    }
    monkeypatch.setenv("UNICRM_AMOCRM_TOKEN", "from-env")
    monkeypatch.setenv("UNICRM_AMOCRM_RATE", "4")
    assert options_for(url, "amocrm", config) == {"token": "from-env", "rate": 5}
    assert options_for("amocrm+http://127.0.0.1:8", "amocrm", config) == {
        "token": "from-env",
        "rate": "4",
    }
    monkeypatch.delenv("UNICRM_AMOCRM_TOKEN")
    monkeypatch.delenv("UNICRM_AMOCRM_RATE")
    assert options_for("amocrm+http://127.0.0.1:8", "amocrm", config) == {
        "token": "from-adapters",
        "rate": 3,
    }


def test_a_config_table_that_is_not_a_table_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('adapters = { amocrm = "token" }\n', encoding="utf-8")
    monkeypatch.setenv("UNICRM_CONFIG", str(path))
    with pytest.raises(ConfigurationError, match="TOML tables"):
        options_for("amocrm+http://127.0.0.1:9", "amocrm")
