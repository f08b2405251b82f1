"""The ``webhook`` option: the webhook's USER/CODE from the environment or a config file."""

from __future__ import annotations

import pytest

import unicrm
from unicrm.emulation import EmulatorTransport
from unicrm.errors import ConfigurationError

emulator_module = pytest.importorskip("unicrm_bitrix24.emulator")


def test_webhook_option_completes_a_bare_portal_url() -> None:
    emulator = emulator_module.Bitrix24Emulator(limits="off")
    emulator.seed(3)
    user, code = emulator.webhook_path.strip("/").split("/")[1:]
    crm = unicrm.connect(
        "bitrix24+http://127.0.0.1:1",
        webhook=f"{user}/{code}",
        transport=EmulatorTransport(emulator),
    )
    assert len(list(crm.leads.all())) == 3
    assert code not in repr(crm)
    crm.close()


@pytest.mark.parametrize(
    ("url", "webhook", "message"),
    [
        ("bitrix24+http://127.0.0.1:1", "qq7abc", "USER/CODE"),
        ("bitrix24+http://127.0.0.1:1", "x/qq7abc", "USER/CODE"),
        ("bitrix24+http://127.0.0.1:1", "1/qq7abc/b", "USER/CODE"),
        ("bitrix24+http://127.0.0.1:1/rest/1/zzz/", "1/qq7abc", "not both"),
    ],
)
def test_bad_webhook_options_are_configuration_errors(url: str, webhook: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        unicrm.connect(url, webhook=webhook)
    assert "qq7abc" not in str(caught.value) and "zzz" not in str(caught.value)
