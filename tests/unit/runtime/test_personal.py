"""Sealing personal data: readable with its key, erased without it, bound to its place."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kandoo.events.values import ReporterContact
from kandoo.runtime.personal import REPORTER, seal, unseal, without_personal_data

CONTACT = ReporterContact(
    name="สมศรี ใจดี", phone="0812345678", email="somsri@example.com", line_user_id="U1234"
)


def test_a_sealed_contact_holds_none_of_the_personal_values() -> None:
    key = AESGCM.generate_key(bit_length=256)
    sealed = seal(CONTACT, key, "c-1", REPORTER, channel_reference="device-42")
    text = sealed.model_dump_json()
    for value in ("สมศรี", "0812345678", "somsri@example.com", "U1234", "device-42"):
        assert value not in text
    assert sealed.reach == ("email", "line", "phone")
    assert sealed.reachable()


def test_the_key_opens_it_and_without_the_key_it_reads_as_erased() -> None:
    key = AESGCM.generate_key(bit_length=256)
    sealed = seal(CONTACT, key, "c-1", REPORTER, channel_reference="device-42").model_dump()
    opened = unseal(sealed, key, "c-1")
    assert opened["phone"] == "0812345678"
    assert opened["channel_reference"] == "device-42"
    assert unseal(sealed, None, "c-1") == {"erased": True, "anonymous": False}


def test_a_ciphertext_moved_to_another_complaint_does_not_open() -> None:
    key = AESGCM.generate_key(bit_length=256)
    sealed = seal(CONTACT, key, "c-1", REPORTER).model_dump()
    assert unseal(sealed, key, "c-2")["erased"] is True


def test_an_anonymous_report_without_contact_needs_no_key() -> None:
    key = AESGCM.generate_key(bit_length=256)
    sealed = seal(ReporterContact(anonymous=True), key, "c-1", REPORTER)
    assert sealed.sealed is None
    assert unseal(sealed.model_dump(), None, "c-1")["anonymous"] is True


def test_what_anyone_may_see_of_a_contact_is_whether_and_how_never_the_address() -> None:
    assert without_personal_data(CONTACT.model_dump()) == {
        "anonymous": False,
        "reach": ["email", "phone", "line"],
    }
