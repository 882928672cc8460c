"""Staff accounts of the dashboard: roles, argon2 password hashes, failed-login counter and lock-out.

Document in the ``staff`` collection (unique index on ``username``): username, role, departments (ids from
``data/categories.yaml``; only for the ``department`` role), password_hash (argon2id, argon2-cffi's RFC 9106
defaults), active, language ("el" | "en", the interface language), failed_logins, locked_until, created_at,
password_changed_at. Nothing else about the person is kept.

Roles: ``admin`` manages staff accounts and reads the audit log, and can do everything an operator can;
``operator`` does everything else (live monitor, take-over, every ticket, assisted intake, stats);
``department`` sees and handles the tickets of its departments only (and stats).

The first admin comes from ``python bot.py create-staff USERNAME --role admin`` (:func:`cli_create_staff`);
in demo mode (no MongoDB) :func:`ensure_demo_admin` makes a throw-away ``admin`` at start-up.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.core.models import Language, as_utc, utcnow
from bot.store import Store
from bot.tickets.categories import categories

if TYPE_CHECKING:
    from bot.core.services import Services

Role = Literal["admin", "operator", "department", "broadcaster", "dpo", "tourism", "annotator"]
ROLES: tuple[Role, ...] = ("admin", "operator", "department", "broadcaster", "dpo", "tourism", "annotator")

# What each role may do. One place: the dashboard asks ``member.can("monitor")``.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "monitor": frozenset({"admin", "operator"}),  # live monitor, conversations, take-over, replies
    # hand back to the bot a chat a colleague holds (gone home with it open); others hand back only their own
    "release_any": frozenset({"admin"}),
    "tickets": frozenset({"admin", "operator", "department"}),  # department: only its departments' tickets
    "intake": frozenset({"admin", "operator"}),  # assisted intake (KAPI/KIFI)
    "stats": frozenset({"admin", "operator", "department"}),
    "manage_staff": frozenset({"admin"}),
    "manage_centres": frozenset({"admin"}),  # the KAPI/KIFI list of assisted intake
    "audit": frozenset({"admin"}),
    "alerts": frozenset({"admin", "broadcaster"}),  # write, approve and send area notices (bot/alerts/)
    "api_keys": frozenset({"admin"}),  # Open311 API keys of other systems (bot/open311/keys.py)
    "guide": frozenset({"admin", "tourism"}),  # the tourist guide's sights, hours, photos (bot/guide/)
    "privacy": frozenset({"admin", "dpo"}),  # find a person, export, erase (bot/dashboard/views/privacy.py)
    "annotate": frozenset({"admin", "annotator"}),  # NLU review queue: confirm/correct intents, mark entities
    "nlu_models": frozenset({"admin"}),  # promote a candidate NLU model, roll back
}

MAX_FAILED_LOGINS = 5  # consecutive failures before the account is locked
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
PASSWORD_ENV = "CHANIA_STAFF_PASSWORD"  # noqa: S105 - the name of the variable, not a password

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class StaffError(ValueError):
    """Invalid account data; ``code`` names the problem (a key of the staff text catalogue)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class StaffMember:
    username: str
    role: Role
    departments: tuple[str, ...] = ()
    active: bool = True
    language: Language = "el"
    display_name: str = ""  # the name residents see on staff replies ("Μαρία"); empty: the generic signature
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None
    intake_centre: str = ""  # the day centre of this clerk's last assisted intake: the next one starts there
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"

    def can(self, permission: str) -> bool:
        return self.active and self.role in PERMISSIONS[permission]

    @property
    def all_departments(self) -> bool:
        """True when the member sees every department's tickets."""
        return self.role in ("admin", "operator")

    def sees_department(self, department: str | None) -> bool:
        return self.all_departments or (department is not None and department in self.departments)

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> StaffMember:
        return cls(
            username=doc["username"],
            role=doc["role"],
            departments=tuple(doc.get("departments") or ()),
            active=bool(doc.get("active", True)),
            language=doc.get("language") or "el",
            display_name=doc.get("display_name") or "",
            failed_logins=int(doc.get("failed_logins") or 0),
            locked_until=_aware(doc.get("locked_until")),
            created_at=_aware(doc.get("created_at")),
            intake_centre=str(doc.get("intake_centre") or ""),
        )


@dataclass(frozen=True, slots=True)
class LoginResult:
    status: Literal["ok", "invalid", "locked"]
    member: StaffMember | None = None
    locked_until: datetime | None = None


def _aware(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


# ---------------------------------------------------------------- validation and hashing

def normalise_username(username: str) -> str:
    return username.strip().lower()


def validate_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise StaffError("bad_username", "username: 2-32 characters a-z 0-9 . _ - starting with a letter or digit")
    return name


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError("short_password", f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError("long_password", f"password: at most {MAX_PASSWORD_LENGTH} characters")


def validate_role(role: str, departments: list[str] | tuple[str, ...]) -> tuple[Role, tuple[str, ...]]:
    if role not in ROLES:
        raise StaffError("bad_role", f"role must be one of {', '.join(ROLES)}")
    known = {d.id for d in categories().departments}
    unknown = [d for d in departments if d not in known]
    if unknown:
        raise StaffError("bad_department",
                         f"unknown department(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if role == "department":
        if not departments:
            raise StaffError("no_department", "the department role needs at least one --department")
        return "department", tuple(dict.fromkeys(departments))
    return cast(Role, role), ()  # admin and operator see every department


async def hash_password(password: str) -> str:
    """argon2id hash, computed in a thread: it takes tens of milliseconds and much memory by design."""
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def _dummy_verify(password: str) -> None:
    """Spend the same time for an unknown username as for a wrong password (no user enumeration by timing)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = await hash_password(secrets.token_urlsafe(16))
    await _verify(_dummy_hash, password)


# ---------------------------------------------------------------- accounts

async def create_staff(store: Store, username: str, role: str, departments: list[str] | tuple[str, ...],
                       password: str, *, language: Language = "el", display_name: str = "") -> StaffMember:
    """A new account; :class:`StaffError` when the data is invalid or the username is taken."""
    name = validate_username(username)
    the_role, depts = validate_role(role, list(departments))
    validate_password(password)
    now = utcnow()
    doc = {
        "username": name, "role": the_role, "departments": list(depts), "active": True, "language": language,
        "display_name": validate_display_name(display_name),
        "password_hash": await hash_password(password), "failed_logins": 0, "locked_until": None,
        "created_at": now, "password_changed_at": now,
    }
    try:
        await store.staff.insert_one(doc)
    except DuplicateKeyError:
        raise StaffError("username_taken", f"username {name!r} already exists") from None
    return StaffMember.from_doc(doc)


async def get_staff(store: Store, username: str) -> StaffMember | None:
    doc = await store.staff.find_one({"username": normalise_username(username)})
    return StaffMember.from_doc(doc) if doc else None


async def list_staff(store: Store) -> list[StaffMember]:
    cursor = store.staff.find({}, {"password_hash": 0}).sort("username", ASCENDING)
    return [StaffMember.from_doc(d) async for d in cursor]


async def count_staff(store: Store) -> int:
    return await store.staff.count_documents({})


async def update_staff(store: Store, username: str, *, role: str, departments: list[str] | tuple[str, ...],
                       active: bool, display_name: str | None = None) -> StaffMember:
    """Role, departments, active, and the display name when given."""
    the_role, depts = validate_role(role, list(departments))
    changes: dict[str, Any] = {"role": the_role, "departments": list(depts), "active": active}
    if display_name is not None:
        changes["display_name"] = validate_display_name(display_name)
    doc = await store.staff.find_one_and_update(
        {"username": normalise_username(username)},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        raise LookupError(username)
    return StaffMember.from_doc(doc)


async def set_password(store: Store, username: str, password: str) -> None:
    validate_password(password)
    result = await store.staff.update_one(
        {"username": normalise_username(username)},
        {"$set": {"password_hash": await hash_password(password), "password_changed_at": utcnow(),
                  "failed_logins": 0, "locked_until": None}},
    )
    if result.matched_count != 1:
        raise LookupError(username)


MAX_DISPLAY_NAME = 40


def validate_display_name(name: str, *, required: bool = False) -> str:
    """A first name or short name shown to residents; letters, spaces, dots, hyphens and apostrophes. An admin
    creating or editing an account must give one (``required``): residents never see the login."""
    name = " ".join((name or "").split())
    if required and not name:
        raise StaffError("no_display_name", "a display name is required")
    if len(name) > MAX_DISPLAY_NAME or any(not (c.isalpha() or c in " .-'") for c in name):
        raise StaffError("bad_display_name", f"display name: up to {MAX_DISPLAY_NAME} letters, spaces, . - '")
    return name


async def set_intake_centre(store: Store, username: str, centre: str) -> None:
    """Remember the centre of this clerk's intake, for the next one."""
    await store.staff.update_one({"username": normalise_username(username)}, {"$set": {"intake_centre": centre}})


async def set_display_name(store: Store, username: str, display_name: str) -> None:
    result = await store.staff.update_one({"username": normalise_username(username)},
                                          {"$set": {"display_name": validate_display_name(display_name)}})
    if result.matched_count != 1:
        raise LookupError(username)


async def set_language(store: Store, username: str, language: Language) -> None:
    await store.staff.update_one({"username": normalise_username(username)}, {"$set": {"language": language}})


async def unlock(store: Store, username: str) -> None:
    result = await store.staff.update_one({"username": normalise_username(username)},
                                          {"$set": {"failed_logins": 0, "locked_until": None}})
    if result.matched_count != 1:
        raise LookupError(username)


async def check_password(store: Store, username: str, password: str) -> bool:
    """The current password is right (for a password change); does not touch the lock-out counter."""
    doc = await store.staff.find_one({"username": normalise_username(username)})
    return bool(doc) and await _verify(doc["password_hash"], password)


async def authenticate(store: Store, username: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check a login. Locked accounts are refused without checking the password; after
    :data:`MAX_FAILED_LOGINS` consecutive failures the account is locked for :data:`LOCKOUT`."""
    now = now or utcnow()
    name = normalise_username(username)
    doc = await store.staff.find_one({"username": name}) if USERNAME_RE.match(name) else None
    if doc is None or not doc.get("active", True):
        await _dummy_verify(password[:MAX_PASSWORD_LENGTH])
        return LoginResult("invalid")
    member = StaffMember.from_doc(doc)
    if member.locked(now):
        return LoginResult("locked", member, member.locked_until)
    if len(password) <= MAX_PASSWORD_LENGTH and await _verify(doc["password_hash"], password):
        update: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if _hasher.check_needs_rehash(doc["password_hash"]):
            update["password_hash"] = await hash_password(password)
        await store.staff.update_one({"_id": doc["_id"]}, {"$set": update})
        return LoginResult("ok", member)
    after = await store.staff.find_one_and_update(
        {"_id": doc["_id"]}, {"$inc": {"failed_logins": 1}}, return_document=ReturnDocument.AFTER
    )
    if after is not None and int(after.get("failed_logins") or 0) >= MAX_FAILED_LOGINS:
        until = now + LOCKOUT
        await store.staff.update_one({"_id": doc["_id"]}, {"$set": {"locked_until": until, "failed_logins": 0}})
        return LoginResult("locked", member, until)
    return LoginResult("invalid", member)


# ---------------------------------------------------------------- start-up helpers

async def ensure_demo_admin(services: Services) -> str | None:
    """Demo mode only (in-process store, nothing persists): when no account exists, create ``admin`` with a random
    password and return that password so start-up can print it once. ``None`` otherwise."""
    if not services.store.demo or await count_staff(services.store) > 0:
        return None
    password = secrets.token_urlsafe(12)
    await create_staff(services.store, "admin", "admin", [], password)
    return password


def cli_create_staff(username: str, role: str, departments: list[str], password: str | None) -> int:
    """``python bot.py create-staff USERNAME --role R [--department D ...]``: exit status 0 when created.

    The password comes from ``password``, else the ``CHANIA_STAFF_PASSWORD`` environment variable, else a prompt
    (typed twice, not echoed)."""
    from bot.core.settings import load_settings
    from bot.store import open_configured_store

    try:
        name = validate_username(username)
        validate_role(role, departments)
    except StaffError as exc:
        print(f"create-staff: {exc}", file=sys.stderr)
        return 2
    settings = load_settings()
    if settings.demo:
        print("create-staff: MONGODB_URI is not set, so the service runs in demo mode with an in-process store "
              "where nothing persists: an account created now would vanish when this command ends. Set MONGODB_URI "
              "(and MONGODB_DB) and run again. In demo mode `bot.py run` creates a throw-away 'admin' account and "
              "prints its password at start-up.", file=sys.stderr)
        return 2
    if password is None:
        password = os.environ.get(PASSWORD_ENV) or None
    if password is None:
        try:
            password = getpass.getpass(f"Password for {name}: ")
            again = getpass.getpass("Repeat the password: ")
        except (EOFError, KeyboardInterrupt):
            print("\ncreate-staff: cancelled", file=sys.stderr)
            return 1
        if password != again:
            print("create-staff: the passwords differ", file=sys.stderr)
            return 1
    try:
        validate_password(password)
    except StaffError as exc:
        print(f"create-staff: {exc}", file=sys.stderr)
        return 2

    async def run() -> StaffMember:
        assert settings.mongodb_uri is not None
        store = await open_configured_store(settings)
        try:
            member = await create_staff(store, name, role, departments, password)
            from bot.staff import audit

            await audit.record(store, "cli", "staff.create", target=name,
                               details={"role": member.role, "departments": list(member.departments)})
            return member
        finally:
            await store.close()

    try:
        member = asyncio.run(run())
    except StaffError as exc:
        print(f"create-staff: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the database is down, wrong URI …: a message, not a traceback
        print(f"create-staff: could not reach the database: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    depts = f" ({', '.join(member.departments)})" if member.departments else ""
    print(f"Created staff account {member.username!r} with role {member.role}{depts}.")
    return 0
