"""The boundary gates of bot/channels/validation.py and the payload models, without a service."""

from __future__ import annotations

import pytest

from bot.channels.payloads import TgUpdate, ViberEvent
from bot.channels.validation import (
    MAX_DEPTH,
    InvalidPayload,
    PayloadTooLarge,
    nesting_depth,
    parse_json,
    validate,
)
from tests.fixtures import hostile

LIMIT = 1024 * 1024
UNUSED_FIELDS = {"venue is a list", "entities [[]]"}  # broken where the bot does not read


def parse(text: str) -> object:
    return parse_json(text.encode("utf-8", "surrogatepass"), max_bytes=LIMIT)


@pytest.mark.parametrize("text", [
    '{"text": "Δεν ανάβει η λάμπα στην Αποκορώνου"}', '{"a": [1, -2, 3.5, true, null, "\\u00e9"]}',
    '{"id": 9223372036854775807}', '{"id": -9223372036854775808}', '{"emoji": "\\ud83d\\ude00"}', "[]",
])
def test_valid_json_passes(text: str) -> None:
    assert parse(text) is not None


@pytest.mark.parametrize(("text", "reason"), [
    ('{"id": 9223372036854775808}', "integer out of range"),
    ('{"id": -9223372036854775809}', "integer out of range"),
    ('{"id": ' + "9" * 5000 + "}", "integer out of range"),
    ('{"lat": 1e400}', "number out of range"),
    ('{"lat": -1e400}', "number out of range"),
    ('{"lat": NaN}', "not a number"),
    ('{"lat": Infinity}', "not a number"),
    ('{"text": "\\ud800"}', "not valid UTF-8"),
    ('{"text": "a\\udfffb"}', "not valid UTF-8"),
    ('{"\\ud800": 1}', "invalid key"),
    ('{"a\\u0000b": 1}', "invalid key"),
    ('{"x": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "nested deeper"),
    ("[" * 1000 + "]" * 1000, "nested deeper"),
    ('{"a":' * 1000 + "1" + "}" * 1000, "nested deeper"),
    ("{not json", "invalid JSON"),
    ("", "invalid JSON"),
])
def test_hostile_json_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidPayload, match=reason):
        parse(text)


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(InvalidPayload, match="invalid JSON"):
        parse_json(b'{"text": "\xff\xfe"}', max_bytes=LIMIT)


def test_size_is_checked_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_json(b"[" + b"1," * 600 + b"1]", max_bytes=1024)


def test_depth_scan_skips_brackets_inside_strings() -> None:
    text = '{"text": "' + "[{" * 500 + '", "ok": [[1]]}'
    assert nesting_depth(text.encode()) == 3
    assert parse(text) == {"text": "[{" * 500, "ok": [[1]]}


def test_depth_at_the_limit_passes() -> None:
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


@pytest.mark.parametrize(("name", "payload"), hostile.known_cases("telegram"), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_every_telegram_class_of_the_issue_is_refused_or_harmless(name: str, payload: object) -> None:
    """Each either fails a gate (InvalidPayload) or validates into a model holding only checked values."""
    try:
        update = validate(TgUpdate, parse_json(hostile.body(payload), max_bytes=LIMIT))
    except InvalidPayload:
        return
    dumped = update.model_dump(by_alias=True, exclude_none=True)
    assert hostile.body(dumped)  # what goes on is plain, encodable JSON
    assert name in UNUSED_FIELDS, f"{name} passed: {dumped}"


def test_telegram_model_refuses_wrong_types_inside() -> None:
    base = {"update_id": 1, "message": {"message_id": 1, "date": 1_764_600_000, "chat": {"id": 5, "type": "private"},
                                        "from": {"id": 5, "is_bot": False, "first_name": "Νίκος"},
                                        "location": {"latitude": 35.51, "longitude": 24.02}}}
    assert validate(TgUpdate, base).message.location.latitude == 35.51
    for path, value in [(("chat", "id"), True), (("location", "latitude"), "35.5"), (("location", "latitude"), 999),
                        (("location", "latitude"), None), (("from", "language_code"), 7), (("date",), 2**63 - 1),
                        (("text",), {"a": 1})]:
        broken = {"update_id": 1, "message": {**base["message"]}}
        target = broken["message"]
        for step in path[:-1]:
            target[step] = dict(target[step])
            target = target[step]
        target[path[-1]] = value
        with pytest.raises(InvalidPayload):
            validate(TgUpdate, broken)


def test_viber_model_refuses_a_location_out_of_range_and_drops_unknown_fields() -> None:
    event = {"event": "message", "timestamp": 1_764_600_000_000, "message_token": 5_100_000_000_000_000_001,
             "sender": {"id": "01234567890A=", "language": "el", "unknown": [1]},
             "message": {"type": "location", "location": {"lat": 35.5, "lon": 24.0}}}
    checked = validate(ViberEvent, event).model_dump(exclude_none=True)
    assert "unknown" not in checked["sender"]
    event["message"]["location"]["lat"] = 90.5
    with pytest.raises(InvalidPayload, match="lat"):
        validate(ViberEvent, event)
