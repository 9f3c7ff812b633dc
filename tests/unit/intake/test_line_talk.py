"""A LINE conversation, purely: what each message does to it and what the bot says."""

from __future__ import annotations

from datetime import UTC, datetime

from kandoo.intake.domain.line_talk import (
    MAX_PHOTOS,
    Conversation,
    Place,
    language_of,
    on_location,
    on_photo,
    on_text,
)

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
USER = "U1234"
PIER = Place(12.5684, 99.9577, "ท่าเรือ")


def test_text_then_location_then_send_submits() -> None:
    first = on_text(None, USER, "ไฟดับทั้งซอย", NOW)
    assert first.conversation is not None
    assert [r.key for r in first.replies] == ["line_ask_location"]
    assert "location" in first.replies[0].buttons
    second = on_location(first.conversation, USER, PIER, True, NOW)
    assert [r.key for r in second.replies] == ["line_ask_photos"]
    assert {"camera", "roll", "send"} <= set(second.replies[0].buttons)
    done = on_text(second.conversation, USER, "ส่งเรื่องเลย", NOW)
    assert done.submit
    assert done.conversation is not None
    assert done.conversation.description == "ไฟดับทั้งซอย"
    assert done.conversation.place == PIER


def test_a_location_first_asks_what_is_wrong() -> None:
    turn = on_location(None, USER, PIER, True, NOW)
    assert [r.key for r in turn.replies] == ["line_ask_description"]
    more = on_text(turn.conversation, USER, "ขยะล้นถัง", NOW)
    assert [r.key for r in more.replies] == ["line_ask_photos"]


def test_a_pin_outside_is_refused_and_asked_again() -> None:
    started = on_text(None, USER, "ถนนพัง", NOW)
    turn = on_location(started.conversation, USER, Place(13.75, 100.5), False, NOW)
    assert turn.refused_outside
    assert [r.key for r in turn.replies] == ["outside_jurisdiction", "line_ask_location"]
    assert turn.conversation is not None
    assert turn.conversation.place is None


def test_photos_count_up_to_five_and_the_fifth_submits() -> None:
    c = on_location(on_text(None, USER, "ทางเท้าชำรุด", NOW).conversation, USER, PIER, True, NOW)
    conversation = c.conversation
    for n in range(1, MAX_PHOTOS):
        turn = on_photo(conversation, USER, f"{n:064x}", NOW)
        assert turn.replies[0].values == {"n": n}
        conversation = turn.conversation
    again = on_photo(conversation, USER, f"{1:064x}", NOW)  # the same photo: not counted
    assert again.conversation is not None
    assert len(again.conversation.photos) == MAX_PHOTOS - 1
    last = on_photo(conversation, USER, f"{MAX_PHOTOS:064x}", NOW)
    assert last.submit


def test_cancel_ends_it_and_send_without_a_pin_asks_for_it() -> None:
    started = on_text(None, USER, "สุนัขจรจัดกัดคน", NOW)
    early = on_text(started.conversation, USER, "send", NOW)
    assert not early.submit
    assert early.replies[0].key == "line_ask_location"
    gone = on_text(started.conversation, USER, "ยกเลิก", NOW)
    assert gone.conversation is None
    assert gone.replies[0].key == "line_cancelled"


def test_the_language_follows_the_user() -> None:
    assert language_of("The street light is broken", "th") == "en"
    assert language_of("ไฟดับ street light", "en") == "th"
    assert language_of("12345", "en") == "en"
    english = on_text(None, USER, "Broken pavement near the pier", NOW)
    assert english.conversation is not None
    assert english.conversation.language == "en"


def test_a_conversation_survives_its_document() -> None:
    c = Conversation(USER, "en", "broken", PIER, ("a" * 64,), NOW)
    assert Conversation.from_doc(USER, c.to_doc()) == c
