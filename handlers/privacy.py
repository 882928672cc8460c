"""The person's own data in the chat: the privacy notice, a copy of their data (/mydata, "τα δεδομένα μου") and
erasure with a confirmation step (/forget, "διαγραφή"). The work is done by ``bot/privacy/``.

Buttons: ``privacy:menu``, ``privacy:mydata``, ``privacy:forget``, ``privacy:forget_yes``, ``privacy:forget_no``.
Erasure needs the confirmation flow to be running (a "yes" button from an old prompt is refused), and finishes after
the reply is delivered, so that the confirmation message itself leaves no trace (``Conversation.after_turn``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.alerts import subscriptions
from bot.alerts.areas import alert_areas
from bot.core.i18n import Texts
from bot.core.models import Button, Document, Reply
from bot.core.services import Services
from bot.core.settings import Settings
from bot.privacy import downloads, erase, export, subjects
from bot.privacy.registry import DataSubject
from bot.staff import audit
from handlers.base import FlowState, Outcome, Turn
from handlers.registry import plain
from nlu.chania_text import normalize

FLOW = "privacy"
PREFIX = "privacy"
CONFIRM_STEP = "confirm_forget"

MYDATA_PHRASES = ("τα δεδομένα μου", "τα στοιχεία μου", "δεδομένα μου", "ta dedomena mou", "my data", "mydata")
FORGET_PHRASES = ("διαγραφή", "διαγραφή δεδομένων", "διαγραφή των δεδομένων μου", "σβήσε τα δεδομένα μου",
                  "diagrafi", "forget me", "forget", "delete my data", "erase my data")
NOTICE_PHRASES = ("απόρρητο", "προσωπικά δεδομένα", "privacy", "privacy notice")
YES_WORDS = frozenset(plain(w) for w in ("ναι", "nai", "yes", "ναι διαγραφή", "ok", "οκ"))
NO_WORDS = frozenset(plain(w) for w in ("όχι", "οχι", "oxi", "ochi", "no", "άκυρο", "akyro", "cancel"))


# Asked in words rather than by the exact phrases: matched on the common Latin form (Greek and Greeklish meet) and,
# for English, on the lower-case text. A verb of erasing needs the person's data as its object ("σβήστε το γκράφιτι"
# is a complaint), or a short "σβήστε με" / "forget me".
_FORGET_LATIN = re.compile(r"\b(?:diagra|svis|svys|sbis|esvis|afairest)\w*\b.*\b(?:stixi|dedomen|prosopik|arithmo mou|"
                           r"tilefono mou)")
_FORGET_ME_LATIN = re.compile(r"^(?:\w+ ){0,2}(?:diagrap|svist|svis)\w* me\b")
_FORGET_EN = re.compile(r"\b(?:delete|erase|remove|wipe|forget)\w*\b.*\b(?:my (?:personal )?(?:data|details|"
                        r"information|info|account|number|phone)|everything about me|all about me)\b|"
                        r"^(?:please )?(?:delete|erase|forget) me\b")
_MYDATA_LATIN = re.compile(r"\b(?:ti|pia|poia)\b.*\b(?:stixi|dedomen)\w*\b.*\b(?:exete|kratate|krata|apothikevete|"
                           r"xerete|kserete)\b|\b(?:dikste|steilte|stilte|doste)\b.*\b(?:stixia|dedomena) mou\b")
_MYDATA_EN = re.compile(r"\bwhat (?:personal )?(?:data|information|info|details)\b.*\b(?:have|keep|hold|store)\b|"
                        r"\b(?:show|send|give) me (?:all )?my (?:personal )?(?:data|information|details)\b")


def asks_for(text: str) -> str | None:
    """"forget" or "mydata" when a message asks, in its own words, for erasure or a copy of the person's data:
    "θέλω να διαγράψετε τα στοιχεία μου", "thelw na svisete ta stoixeia mou", "delete my data please",
    "τι στοιχεία μου έχετε;", "what data do you have about me?"."""
    if not text or len(text) > 300:
        return None
    latin, english = plain(text), normalize(text)
    if _FORGET_LATIN.search(latin) or _FORGET_ME_LATIN.search(latin) or _FORGET_EN.search(english):
        return "forget"
    if _MYDATA_LATIN.search(latin) or _MYDATA_EN.search(english):
        return "mydata"
    return None


def notice_url(settings: Settings, lang: str) -> str:
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    return f"{base}/privacy?lang={lang}"


def with_first_contact_notice(turn: Turn, replies: list[Reply]) -> list[Reply]:
    """The first reply of a new conversation with the short privacy notice (and the link to the full one) as its
    last paragraph: one message, its buttons kept. Off with ``PRIVACY_NOTICE_FIRST_MESSAGE=false``."""
    if not (turn.conversation.is_new and turn.services.settings.privacy_notice_first_message):
        return replies
    notice = turn.texts("privacy.notice_short", url=notice_url(turn.services.settings, turn.lang))
    for i, reply in enumerate(replies):
        if reply.text:
            return [*replies[:i], replace(reply, text=f"{reply.text}\n\n{notice}"), *replies[i + 1:]]
    return [Reply(notice), *replies]


class PrivacyHandler:
    name = FLOW
    intents: frozenset[str] = frozenset()
    button_prefix = PREFIX
    commands = ("/mydata", "/forget", "/privacy")
    phrases = MYDATA_PHRASES + FORGET_PHRASES + NOTICE_PHRASES

    @staticmethod
    def claims(text: str) -> bool:
        """A request for erasure or for a copy of one's data in any words, even in the middle of a report."""
        return asks_for(text) is not None

    async def handle(self, turn: Turn) -> Outcome:
        action = self._action(turn)
        if action == "mydata":
            return await self.export(turn)
        if action == "forget":
            return await self.ask_to_forget(turn)
        if action == "forget_yes":
            if not self._confirming(turn):
                return Outcome([Reply(turn.texts("privacy.forget.expired"))], flow=None)
            return await self.forget(turn)
        if action == "forget_no":
            return Outcome([Reply(turn.texts("privacy.forget.cancelled"))], flow=None)
        return Outcome([self.menu(turn)])

    async def continue_flow(self, turn: Turn) -> Outcome | None:
        if turn.conversation.flow is None or turn.conversation.flow.step != CONFIRM_STEP:
            return Outcome([], flow=None)
        answer = plain(turn.inbound.text or "")
        if answer in YES_WORDS:
            return await self.forget(turn)
        if answer in NO_WORDS:
            return Outcome([Reply(turn.texts("privacy.forget.cancelled"))], flow=None)
        return None

    async def resume_prompt(self, turn: Turn) -> list[Reply]:
        return [await self._confirm_prompt(turn)]

    # ------------------------------------------------------------------ routing
    @staticmethod
    def _action(turn: Turn) -> str:
        inbound = turn.inbound
        if inbound.button is not None:
            return inbound.button.split(":", 1)[1] if ":" in inbound.button else "menu"
        command = {"/mydata": "mydata", "/forget": "forget", "/privacy": "menu"}.get(inbound.command or "")
        if command:
            return command
        said = plain(inbound.text or "")
        if said in {plain(p) for p in MYDATA_PHRASES}:
            return "mydata"
        if said in {plain(p) for p in FORGET_PHRASES}:
            return "forget"
        return asks_for(inbound.text or "") or "menu"

    @staticmethod
    def _confirming(turn: Turn) -> bool:
        flow = turn.conversation.flow
        return flow is not None and flow.name == FLOW and flow.step == CONFIRM_STEP

    def menu(self, turn: Turn) -> Reply:
        t = turn.texts
        return Reply(t("privacy.menu_title", url=notice_url(turn.services.settings, turn.lang)),
                     buttons=(Button(t("privacy.export_button"), f"{PREFIX}:mydata"),
                              Button(t("privacy.forget_button"), f"{PREFIX}:forget")))

    # ------------------------------------------------------------------ access and portability
    async def export(self, turn: Turn) -> Outcome:
        services, t = turn.services, turn.texts
        conv_id = turn.conversation.id
        subject = await subjects.of_conversation(services.store, conv_id)
        data = await export.export_subject(services.store, subject, services.settings)
        content = export.export_json(data)
        name = f"chania-mydata-{date.today().isoformat()}.json"
        token = await downloads.create(services.store, conv_id, name, content)
        await audit.record(services.store, "citizen", "privacy.export", target=conv_id,
                           details={"legal_basis": "GDPR art. 15, 20", "route": turn.inbound.channel})
        text = "\n\n".join((export.summary(data, t), t("privacy.export.file_hint", name=name)))
        return Outcome([Reply(text, document=Document(name, downloads.url(token, None), len(content), token))])

    # ------------------------------------------------------------------ erasure
    async def ask_to_forget(self, turn: Turn) -> Outcome:
        return Outcome([await self._confirm_prompt(turn)], flow=FlowState(FLOW, CONFIRM_STEP, {}))

    async def _confirm_prompt(self, turn: Turn) -> Reply:
        store, t = turn.services.store, turn.texts
        conv_id = turn.conversation.id
        messages = await store.messages.count_documents({"conversation_id": conv_id})
        filed = await store.tickets.distinct("reference", {"conversation_id": conv_id})
        followed = await store.tickets.count_documents({"followers.conversation_id": conv_id})
        subscription = await subscriptions.get(store, conv_id)
        lines = [t("privacy.forget.confirm"), t.plural("privacy.forget.confirm_messages", messages)]
        if followed:
            lines.append(t.plural("privacy.forget.confirm_followed", followed))
        if subscription is not None:
            lines.append(t("privacy.forget.confirm_alerts", areas=_subscribed_areas(subscription, t)))
        if filed:
            lines.append(t("privacy.forget.confirm_tickets", tickets=", ".join(sorted(filed))))
        lines.append(t("privacy.forget.confirm_final"))
        return Reply("\n".join(lines), buttons=(Button(t("privacy.forget.yes"), f"{PREFIX}:forget_yes"),
                                               Button(t("privacy.forget.no"), f"{PREFIX}:forget_no")))

    async def forget(self, turn: Turn) -> Outcome:
        services, t = turn.services, turn.texts
        store = services.store
        subject = await subjects.of_conversation(store, turn.conversation.id)
        report = await erase.erase_subject(store, subject)
        await audit.record(store, "citizen", "privacy.erase", target=report.pseudonym,
                           details={"legal_basis": "GDPR art. 17", "route": turn.inbound.channel,
                                    **report.as_details()})
        lines = [t.plural("privacy.forget.done", report.deleted["messages"])]
        if report.unfollowed:
            lines.append(t.plural("privacy.forget.done_unfollowed", report.unfollowed))
        if report.deleted[subscriptions.collection(store).name]:
            lines.append(t("privacy.forget.done_alerts"))
        lines += [t("privacy.forget.kept", refs=", ".join(report.tickets_kept)) if report.tickets_kept
                  else t("privacy.forget.nothing_kept"),
                  t("privacy.forget.audit_kept")]

        async def sweep() -> None:  # what the turn itself stored after the erasure (this reply, the turn's fields)
            await erase.erase_subject(store, DataSubject(conversation_ids=subject.conversation_ids))

        turn.conversation.after_turn.append(sweep)
        return Outcome([Reply("\n".join(lines))], flow=None)


def _subscribed_areas(subscription: subscriptions.Subscription, t: Texts) -> str:
    """The areas of an alert subscription in words ("Χαλέπα, Σούδα"), or "around the place you sent"."""
    catalogue = alert_areas()
    names = [area.label(t.lang) for area_id in subscription.areas if (area := catalogue.get(area_id)) is not None]
    if subscription.point is not None:
        names.append(t("privacy.forget.alerts_near_you"))
    return ", ".join(names) or t("privacy.forget.alerts_near_you")


def create_handler(services: Services | None = None) -> PrivacyHandler:
    return PrivacyHandler()
