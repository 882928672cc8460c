"""The checks every channel adapter makes on a platform payload before anything is stored (issue 10).

A payload passes three gates, in this order:

1. :func:`parse_json` — size and nesting depth are limited *before* parsing (a scan of the raw text), then the
   JSON is parsed with bounded numbers: integers must fit in 64 bits (what BSON can store; a 5,000-digit integer
   is refused before Python converts it), floats must be finite (no ``NaN``, ``Infinity``, ``1e400``).
2. The same function checks every string, keys included, for what BSON can hold: valid UTF-8 (no lone
   surrogates such as ``"\\ud800"``) and no NUL in a key.
3. A typed model (pydantic, strict: ``true`` is not an id, ``"35.5"`` is not a latitude) of exactly the fields the
   adapter uses: see the ``Tg*`` and ``Viber*`` models in the adapters' modules and the types below.

Anything that fails raises :class:`InvalidPayload` with a short reason; the adapter answers 400 (web chat: an
``invalid`` error frame) and stores nothing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_DEPTH = 32  # real Telegram updates nest about 8 deep (a callback's message's inline keyboard)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_INT_DIGITS = 20  # len(str(-(2**63))) == 20: longer cannot fit, and is refused before int() runs

M = TypeVar("M", bound=BaseModel)
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class InvalidPayload(ValueError):
    """A payload that cannot be a valid update: the adapter answers 400 and stores nothing."""


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (strings skipped); stops counting once past ``limit``."""
    depth = deepest = 0
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return 0 if not (b"[" in raw or b"{" in raw) else 1  # cannot exceed the limit: no need to scan
    for match in _STRUCTURE.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS - 1:
        raise InvalidPayload("integer out of range")
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidPayload("integer out of range")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidPayload("number out of range")
    return value


def _no_constant(text: str) -> float:
    raise InvalidPayload(f"{text} is not a number")


def bson_safe(text: str) -> bool:
    """True if MongoDB can store the string: valid UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not bson_safe(item):
                raise InvalidPayload("string is not valid UTF-8")
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key or not bson_safe(key):
                    raise InvalidPayload("invalid key")
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(raw: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a platform payload within limits; :class:`InvalidPayload` (or ``PayloadTooLarge``) otherwise."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"over {max_bytes} bytes")
    if nesting_depth(data, max_depth) > max_depth:
        raise InvalidPayload(f"nested deeper than {max_depth}")
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant)
    except InvalidPayload:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidPayload(f"invalid JSON: {type(exc).__name__}") from None
    _check_strings(value)
    return value


class PayloadTooLarge(InvalidPayload):
    """Over the size limit: 413 on a webhook, ``too_long`` in the web chat."""


def validate(model: type[M] | TypeAdapter[Any], value: Any) -> Any:
    """``model`` (a model class or a ``TypeAdapter``) from a parsed payload; :class:`InvalidPayload` naming the
    first wrong field."""
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(value)
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise InvalidPayload(f"{where}: {first['type']}") from None


# ---------------------------------------------------------------------------------------------- field types
class Strict(BaseModel):
    """Base of the boundary models: strict types; fields the adapter does not use are ignored (not kept)."""

    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True, frozen=True)


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("NUL character")
    return text


Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Size = Annotated[int, Field(ge=0, le=INT64_MAX)]
Pixels = Annotated[int, Field(ge=0, le=1_000_000)]
UnixTime = Annotated[int, Field(ge=0, le=2**33)]  # seconds; up to the year 2242, always a valid datetime
UnixTimeMs = Annotated[int, Field(ge=0, le=2**33 * 1000)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Id = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_no_nul)]
Short = Annotated[str, Field(max_length=256)]
LanguageTag = Annotated[str, Field(max_length=35)]
Text = Annotated[str, Field(max_length=20_000)]
Url = Annotated[str, Field(max_length=4096)]
