"""Apprise's e-mail over a real SMTP server: plain SMTP does not parse the CA bundle, and
STARTTLS still verifies the server's certificate (kandoo.notify.tls)."""

from __future__ import annotations

import logging
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kandoo.notify.adapters.sender import Sender
from tests.integration.notify.conftest import SmtpSink
from tests.ports import free_port


@pytest.fixture
def ca_loads(monkeypatch: pytest.MonkeyPatch) -> list[ssl.Purpose]:
    """Every time any SSL context reads the system's CAs in this test."""
    seen: list[ssl.Purpose] = []
    original = ssl.SSLContext.load_default_certs

    def counting(self: ssl.SSLContext, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
        seen.append(purpose)
        original(self, purpose)

    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", counting)
    return seen


async def test_a_plain_smtp_mail_does_not_read_the_ca_bundle(ca_loads: list[Any]) -> None:
    sink = SmtpSink()
    sink.controller.start()
    try:
        url = f"mailto://127.0.0.1:{sink.port}?from=kandoo@huahin.example&to=a@huahin.example"
        assert await Sender(timeout_s=10).send(url, "เรื่องใหม่", "ไฟถนนดับ") == (True, None)
    finally:
        sink.controller.stop()
    assert [m.to for m in sink.mails] == [["a@huahin.example"]]
    assert ca_loads == []


@pytest.fixture
def self_signed_starttls(tmp_path: Path) -> Iterator[int]:
    """An SMTP server offering STARTTLS with a certificate no CA signed."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    request = ("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj")
    subprocess.run(  # openssl: `make tools` installs it
        ["openssl", *request, "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink, port = SmtpSink(), free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


async def test_starttls_to_a_self_signed_server_is_still_refused(
    self_signed_starttls: int, ca_loads: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    port = self_signed_starttls
    url = f"mailtos://127.0.0.1:{port}?mode=starttls&from=kandoo@huahin.example&to=a@x.example"
    with caplog.at_level(logging.DEBUG, logger="apprise"):
        ok, reason = await Sender(timeout_s=10).send(url, "subject", "body")
    assert not ok, reason
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert ca_loads == [ssl.Purpose.SERVER_AUTH]  # the CAs were read for the handshake
