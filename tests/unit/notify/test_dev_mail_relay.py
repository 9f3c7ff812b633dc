"""`make run` sends every e-mail to a local catcher; production refuses that setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kandoo.notify.adapters.sender import via_relay
from kandoo.notify.settings import NotifySettings

RELAY = "127.0.0.1:1025"


def test_a_directory_address_goes_through_the_relay_to_the_same_person() -> None:
    assert via_relay("mailto://eng-admin-1@huahin.example", RELAY) == (
        "mailto://127.0.0.1:1025?from=kandoo-dev@huahin.example&to=eng-admin-1@huahin.example"
    )


def test_a_reporter_template_address_keeps_its_recipient() -> None:
    url = "mailtos://smtp.example.org:587?user=u&pass=p&to=somchai%2Bhh@example.com"
    assert via_relay(url, RELAY).endswith("&to=somchai%2Bhh@example.com")


def test_other_channels_are_left_alone() -> None:
    assert (
        via_relay("json://hooks.example/engineering", RELAY) == "json://hooks.example/engineering"
    )


def test_production_refuses_the_relay() -> None:
    with pytest.raises(ValidationError, match="KANDOO_DEV_MAIL_RELAY"):
        NotifySettings(
            env="production",
            email_url="mailtos://smtp.example.org?to={email}",
            dev_mail_relay=RELAY,
            jwt_secret="x" * 40,
        )
