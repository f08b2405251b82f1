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


@pytest.mark.parametrize("headroom", [-1, 50, 50.5, "x", True, float("nan")])
def test_bad_headroom_is_a_configuration_error(headroom: object) -> None:
    with pytest.raises(ConfigurationError, match="headroom"):
        unicrm.connect("bitrix24+http://127.0.0.1:1/rest/1/qq7abc/", headroom=headroom)


def test_headroom_from_the_environment_is_a_number_and_none_is_the_default() -> None:
    from unicrm_bitrix24.limiter import HEADROOM, limiter_for

    unicrm.connect("bitrix24://headroom-text.example/rest/1/qq7abc/", headroom="2.5")
    assert limiter_for("headroom-text.example").bucket.headroom == 2.5
    unicrm.connect("bitrix24://headroom-none.example/rest/1/qq7abc/", headroom=None)
    assert limiter_for("headroom-none.example").bucket.headroom == HEADROOM


def test_headroom_reaches_the_portal_bucket_and_the_largest_one_wins() -> None:
    from unicrm_bitrix24.limiter import HEADROOM, limiter_for

    host = "headroom-test.example"
    crm = unicrm.connect(f"bitrix24://{host}/rest/1/qq7abc/", headroom=3)
    assert limiter_for(host).bucket.headroom == 3.0  # the connection's limiter is the shared one
    assert limiter_for(host, headroom=HEADROOM).bucket.headroom == 3.0  # never lowered
    other = unicrm.connect(f"bitrix24://{host}/rest/1/qq7abc/", headroom=7.5)
    assert limiter_for(host).bucket.headroom == 7.5
    crm.close()
    other.close()
