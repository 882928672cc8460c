"""Staff accounts (bot/staff/accounts.py): argon2 hashes, roles, lock-out, create-staff and the demo admin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.models import utcnow
from bot.core.services import Services
from bot.staff import accounts as staff
from tests.fixtures.dashboard import RecordingOutbox, dashboard_settings
from tests.fixtures.store import open_test_store

PASSWORD = "Καλημέρα-Χανιά-2026"  # Greek passwords work too


@pytest.fixture
async def store():
    return await open_test_store("staff_test")


async def test_password_is_stored_as_an_argon2id_hash(store) -> None:
    member = await staff.create_staff(store, "Maria.K", "operator", [], PASSWORD)
    assert member.username == "maria.k"  # usernames are case-insensitive
    doc = await store.staff.find_one({"username": "maria.k"})
    assert doc["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(doc)
    assert (await staff.authenticate(store, "MARIA.K", PASSWORD)).status == "ok"
    assert (await staff.authenticate(store, "maria.k", PASSWORD.upper())).status == "invalid"
    assert (await staff.authenticate(store, "nobody", PASSWORD)).status == "invalid"


async def test_roles_and_departments_are_validated(store) -> None:
    with pytest.raises(staff.StaffError) as exc:
        await staff.create_staff(store, "x1", "superuser", [], PASSWORD)
    assert exc.value.code == "bad_role"
    with pytest.raises(staff.StaffError) as exc:
        await staff.create_staff(store, "x2", "department", [], PASSWORD)
    assert exc.value.code == "no_department"
    with pytest.raises(staff.StaffError) as exc:
        await staff.create_staff(store, "x3", "department", ["astronomy"], PASSWORD)
    assert exc.value.code == "bad_department"
    with pytest.raises(staff.StaffError) as exc:
        await staff.create_staff(store, "x4", "operator", [], "short")
    assert exc.value.code == "short_password"
    with pytest.raises(staff.StaffError) as exc:
        await staff.create_staff(store, "Μαρία", "operator", [], PASSWORD)
    assert exc.value.code == "bad_username"
    lights = await staff.create_staff(store, "fotismos", "department", ["lighting", "lighting"], PASSWORD)
    assert lights.departments == ("lighting",)
    assert lights.sees_department("lighting") and not lights.sees_department("water")
    assert not lights.can("monitor") and lights.can("tickets") and not lights.can("intake")
    op = await staff.create_staff(store, "op", "operator", ["lighting"], PASSWORD)
    assert op.departments == () and op.sees_department("water")  # operators see every department
    assert op.can("monitor") and op.can("intake") and not op.can("manage_staff")
    with pytest.raises(staff.StaffError) as exc:
        await staff.create_staff(store, "OP", "operator", [], PASSWORD)
    assert exc.value.code == "username_taken"


async def test_lock_out_after_five_failures_then_unlock_after_the_period(store) -> None:
    await staff.create_staff(store, "nikos", "operator", [], PASSWORD)
    now = utcnow()
    for _ in range(staff.MAX_FAILED_LOGINS - 1):
        assert (await staff.authenticate(store, "nikos", "wrong password", now=now)).status == "invalid"
    locked = await staff.authenticate(store, "nikos", "wrong password", now=now)
    assert locked.status == "locked"
    assert locked.locked_until == now + staff.LOCKOUT
    # while locked even the right password is refused (and not checked)
    assert (await staff.authenticate(store, "nikos", PASSWORD, now=now + timedelta(minutes=1))).status == "locked"
    # after the period it works again, and the counter starts afresh
    later = now + staff.LOCKOUT + timedelta(seconds=1)
    assert (await staff.authenticate(store, "nikos", PASSWORD, now=later)).status == "ok"
    doc = await store.staff.find_one({"username": "nikos"})
    assert doc["failed_logins"] == 0 and doc["locked_until"] is None


async def test_a_success_resets_the_failure_counter(store) -> None:
    await staff.create_staff(store, "eleni", "operator", [], PASSWORD)
    for _ in range(staff.MAX_FAILED_LOGINS - 1):
        await staff.authenticate(store, "eleni", "nope nope nope")
    assert (await staff.authenticate(store, "eleni", PASSWORD)).status == "ok"
    assert (await staff.authenticate(store, "eleni", "nope nope nope")).status == "invalid"  # 1 of 5, not locked


async def test_unlock_and_set_password(store) -> None:
    await staff.create_staff(store, "giorgos", "operator", [], PASSWORD)
    for _ in range(staff.MAX_FAILED_LOGINS):
        await staff.authenticate(store, "giorgos", "bad bad bad")
    assert (await staff.authenticate(store, "giorgos", PASSWORD)).status == "locked"
    await staff.unlock(store, "giorgos")
    assert (await staff.authenticate(store, "giorgos", PASSWORD)).status == "ok"
    await staff.set_password(store, "giorgos", "a brand new password")
    assert (await staff.authenticate(store, "giorgos", PASSWORD)).status == "invalid"
    assert (await staff.authenticate(store, "giorgos", "a brand new password")).status == "ok"


async def test_disabled_accounts_cannot_log_in(store) -> None:
    await staff.create_staff(store, "kostas", "operator", [], PASSWORD)
    await staff.update_staff(store, "kostas", role="operator", departments=[], active=False)
    assert (await staff.authenticate(store, "kostas", PASSWORD)).status == "invalid"


async def test_demo_admin_is_created_once_and_only_in_demo_mode(store) -> None:
    services = Services(settings=dashboard_settings(), store=store, outbox=RecordingOutbox(store, None))  # type: ignore[arg-type]
    password = await staff.ensure_demo_admin(services)
    assert password and len(password) >= 12
    assert (await staff.authenticate(store, "admin", password)).status == "ok"
    assert (await staff.get_staff(store, "admin")).role == "admin"
    assert await staff.ensure_demo_admin(services) is None  # an account exists now
    store.demo = False
    await store.staff.delete_many({})
    assert await staff.ensure_demo_admin(services) is None  # never on a real database


def test_create_staff_command_refuses_demo_mode(monkeypatch, capsys) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.chdir("/tmp")  # no .env here
    assert staff.cli_create_staff("admin", "admin", [], PASSWORD) == 2
    err = capsys.readouterr().err
    assert "demo mode" in err and "MONGODB_URI" in err


def test_create_staff_command_rejects_bad_arguments(capsys) -> None:
    assert staff.cli_create_staff("admin", "department", [], PASSWORD) == 2
    assert "--department" in capsys.readouterr().err
    assert staff.cli_create_staff("bad name!", "admin", [], PASSWORD) == 2


def test_create_staff_command_creates_the_account(monkeypatch, capsys) -> None:
    """The command opens the store of MONGODB_URI in its own event loop and creates the account (password from
    CHANIA_STAFF_PASSWORD); a second client, in a second loop as a later command would be, finds it and the audit
    entry. Against the server of MONGODB_URI when it is set (fresh database, dropped); otherwise two stand-in clients
    sharing one in-process server (a client is never used across two loops: a real AsyncMongoClient refuses that)."""
    import asyncio
    import os
    import uuid

    import bot.store

    real_uri = os.environ.get("MONGODB_URI")
    db_name = f"staff_cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.chdir("/tmp")
    monkeypatch.setenv("MONGODB_URI", real_uri or "mongodb://127.0.0.1:1/")
    monkeypatch.setenv("MONGODB_DB", db_name)
    monkeypatch.setenv(staff.PASSWORD_ENV, PASSWORD)
    opened: list[str] = []
    connect = bot.store.open_store
    if real_uri is None:
        from mongomock.store import ServerStore
        from pymongo_async_mock import AsyncMongoMockClient

        server = ServerStore()

        async def connect(uri, name, *, timeout_s=5.0):  # type: ignore[no-redef]
            client = AsyncMongoMockClient(tz_aware=True, _store=server)
            s = bot.store.Store(client, client[name], demo=True)
            await s.ensure_indexes()
            return s

    async def recording_open_store(uri, name, *, timeout_s=5.0):
        opened.append(uri)
        return await connect(uri, name, timeout_s=timeout_s)

    monkeypatch.setattr(bot.store, "open_store", recording_open_store)
    assert staff.cli_create_staff("Admin", "admin", [], None) == 0
    assert "Created staff account 'admin'" in capsys.readouterr().out
    assert opened == [real_uri or "mongodb://127.0.0.1:1/"]

    async def check():
        store = await connect(real_uri, db_name)
        try:
            assert (await staff.authenticate(store, "admin", PASSWORD)).status == "ok"
            assert (await store.audit.find_one({"action": "staff.create"}))["target"] == "admin"
        finally:
            if real_uri:
                await store.client.drop_database(db_name)
            await store.close()

    asyncio.run(check())
