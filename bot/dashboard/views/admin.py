"""Administration (role ``admin``): staff accounts and the audit log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.dashboard.core import (
    PREFIX,
    SESSION_TOKEN,
    SESSIONS,
    error_page,
    render,
    requires,
    see_other,
    services_of,
    staff_of,
)
from bot.dashboard.core import record as audit
from bot.staff import audit as audit_log
from bot.staff.accounts import (
    ROLES,
    StaffError,
    create_staff,
    get_staff,
    list_staff,
    normalise_username,
    set_password,
    unlock,
    update_staff,
    validate_display_name,
)
from bot.tickets.categories import categories

AUDIT_LIMIT = 200


def _choices() -> dict[str, Any]:
    return {"roles": ROLES, "departments": categories().departments}


async def _form(request: web.Request) -> tuple[dict[str, str], list[str]]:
    posted = await request.post()
    fields = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and k != "department"}
    departments = [v for v in posted.getall("department", []) if isinstance(v, str)]
    return fields, departments


@requires("manage_staff")
async def staff_list(request: web.Request) -> web.StreamResponse:
    members = await list_staff(services_of(request).store)
    return render(request, "staff_list.html", {"members": members, "form": {}, "form_error": "", **_choices()})


@requires("manage_staff")
async def staff_create(request: web.Request) -> web.StreamResponse:
    fields, departments = await _form(request)
    store = services_of(request).store
    try:
        display_name = validate_display_name(fields.get("display_name", ""), required=True)
        member = await create_staff(store, fields.get("username", ""), fields.get("role", ""), departments,
                                    fields.get("password", ""), display_name=display_name)
    except StaffError as exc:
        members = await list_staff(store)
        return render(request, "staff_list.html", {"members": members, "form": fields, "form_error": exc.code,
                                                   **_choices()}, status=400)
    await audit(request, "staff.create", target=member.username, role=member.role,
                departments=list(member.departments))
    raise see_other(f"{PREFIX}/admin/staff", done="staff_created")


async def _member(request: web.Request) -> Any:
    return await get_staff(services_of(request).store, request.match_info["username"])


@requires("manage_staff")
async def staff_edit(request: web.Request) -> web.StreamResponse:
    member = await _member(request)
    if member is None:
        return error_page(request, 404, "errors.not_found")
    return render(request, "staff_edit.html", {"member": member, "form_error": "", **_choices()})


@requires("manage_staff")
async def staff_update(request: web.Request) -> web.StreamResponse:
    member = await _member(request)
    if member is None:
        return error_page(request, 404, "errors.not_found")
    fields, departments = await _form(request)
    role, active = fields.get("role", ""), fields.get("active") == "1"
    here = f"{PREFIX}/admin/staff/{member.username}"
    if member.username == staff_of(request).username and (role != member.role or not active):
        raise see_other(here, error="not_yourself")  # an admin cannot demote or disable themselves
    try:
        display_name = validate_display_name(fields.get("display_name", ""), required=True)
        updated = await update_staff(services_of(request).store, member.username, role=role, departments=departments,
                                     active=active, display_name=display_name)
    except StaffError as exc:
        return render(request, "staff_edit.html", {"member": member, "form_error": exc.code, **_choices()},
                      status=400)
    if not updated.active:
        await request.config_dict[SESSIONS].delete_for_user(updated.username)
    await audit(request, "staff.update", target=updated.username, role=updated.role,
                departments=list(updated.departments), active=updated.active)
    raise see_other(here, done="staff_updated")


@requires("manage_staff")
async def staff_password(request: web.Request) -> web.StreamResponse:
    member = await _member(request)
    if member is None:
        return error_page(request, 404, "errors.not_found")
    fields, _ = await _form(request)
    try:
        await set_password(services_of(request).store, member.username, fields.get("password", ""))
    except StaffError as exc:
        return render(request, "staff_edit.html", {"member": member, "form_error": exc.code, **_choices()},
                      status=400)
    await request.config_dict[SESSIONS].delete_for_user(member.username,
                                                        except_token=request.get(SESSION_TOKEN))
    await audit(request, "staff.password", target=member.username)
    raise see_other(f"{PREFIX}/admin/staff/{member.username}", done="password_set")


@requires("manage_staff")
async def staff_unlock(request: web.Request) -> web.StreamResponse:
    member = await _member(request)
    if member is None:
        return error_page(request, 404, "errors.not_found")
    await unlock(services_of(request).store, member.username)
    await audit(request, "staff.unlock", target=member.username)
    raise see_other(f"{PREFIX}/admin/staff/{member.username}", done="unlocked")


@requires("audit")
async def audit_page(request: web.Request) -> web.StreamResponse:
    q = request.query
    actor = q.get("actor", "").strip()[:64]
    if actor and ":" not in actor and actor not in ("anonymous", "cli"):
        actor = f"staff:{normalise_username(actor)}"
    action = q.get("action", "")
    if action and action not in audit_log.ACTIONS and action not in {a.split(".")[0] for a in audit_log.ACTIONS}:
        action = ""
    target = q.get("target", "").strip()[:128]
    entries = await audit_log.recent(services_of(request).store, actor=actor or None, action=action or None,
                                     target=target or None, limit=AUDIT_LIMIT)
    return render(request, "audit.html", {
        "entries": entries, "actor": q.get("actor", "")[:64], "action": action, "target": target,
        "actions": audit_log.ACTIONS, "limit": AUDIT_LIMIT,
    })
