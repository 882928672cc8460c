"""The NLU review queue (/staff/nlu/review, role annotator) over real HTTP, and `export-nlu` of what it labels:
filters, masking, a correction with a marked entity that appears in the exported Rasa YAML, the held-out slice,
corrections from the complaint flow, roles."""

from __future__ import annotations

import csv
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot import tickets
from bot.core.models import utcnow
from bot.privacy.erase import erase_subject
from bot.privacy.redaction import redact_text
from bot.privacy.subjects import of_conversation
from bot.rasa import export, labels
from tests.fixtures.dashboard import Dashboard

REVIEW = "/staff/nlu/review"


def message_id(prefix: str, holdout: bool) -> str:
    """A message id on the wanted side of the fixed held-out split."""
    return next(f"telegram:{prefix}{i}" for i in range(1000) if labels.is_holdout(f"telegram:{prefix}{i}") == holdout)


async def add_message(d: Dashboard, msg_id: str, text: str, intent: str, confidence: float, *,
                      channel: str = "telegram", minutes_ago: int = 0, conversation: str = "telegram:77") -> None:
    """An inbound message as the pipeline stores it after the NLU answered."""
    await d.store.messages.insert_one({
        "_id": msg_id, "conversation_id": conversation, "channel": channel, "direction": "in", "text": text,
        "status": "answered", "intent": intent, "confidence": confidence,
        "nlu": {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
        "created_at": utcnow() - timedelta(minutes=minutes_ago)})


def items_of(page: str) -> list[str]:
    return re.findall(r'data-message-id="([^"]+)"', page)


async def test_queue_lists_nlu_messages_newest_first_with_filters_and_masks_phones(dashboard: Dashboard) -> None:
    d = dashboard
    await add_message(d, "telegram:1", "Δεν ανάβει η λάμπα στην Κυδωνίας, πάρτε με στο 6912345678",
                      "complaint_lighting", 0.93, minutes_ago=30)
    await add_message(d, "viber:2", "den mazepsan ta skoupidia, grapste mou sto maria@example.com", "complaint_waste",
                      0.45, channel="viber", minutes_ago=20)
    await add_message(d, "telegram:3", "the bins on Halidon street stink", "complaint_waste", 0.71, minutes_ago=10)
    await d.store.messages.insert_one({"_id": "telegram:4", "conversation_id": "telegram:77", "channel": "telegram",
                                       "direction": "in", "text": "", "button": "menu", "nlu": None,
                                       "created_at": utcnow()})
    annotator = await d.login("anna", role="annotator")

    status, page, _ = await annotator.get(REVIEW)
    assert status == 200
    assert items_of(page) == ["telegram:3", "viber:2", "telegram:1"]  # newest first; the button press is not there
    assert "6912345678" not in page and "maria@example.com" not in page
    assert "☎•••" in page and "✉•••" in page

    assert items_of((await annotator.get(REVIEW, params={"intent": "complaint_waste"}))[1]) == ["telegram:3", "viber:2"]
    assert items_of((await annotator.get(REVIEW, params={"band": "low"}))[1]) == ["viber:2"]
    assert items_of((await annotator.get(REVIEW, params={"script": "greeklish"}))[1]) == ["viber:2"]
    assert items_of((await annotator.get(REVIEW, params={"script": "english"}))[1]) == ["telegram:3"]
    assert items_of((await annotator.get(REVIEW, params={"script": "accented"}))[1]) == ["telegram:1"]
    assert items_of((await annotator.get(REVIEW, params={"channel": "viber"}))[1]) == ["viber:2"]


async def test_a_correction_with_a_marked_entity_appears_in_the_export(dashboard: Dashboard, tmp_path: Path) -> None:
    d = dashboard
    trained_id, held_id = message_id("a", holdout=False), message_id("b", holdout=True)
    text = "Στη Χαλέπα τα βράδια δεν βλέπουμε πού πατάμε, τηλ 6987654321"
    await add_message(d, trained_id, text, "complaint_roads", 0.38)
    await add_message(d, held_id, "kanenas den apanta sto tilefono tou dimou", "out_of_scope", 0.33)
    annotator = await d.login("anna", role="annotator")
    status, page, _ = await annotator.get(REVIEW)
    assert status == 200

    masked = redact_text(text)
    start = masked.index("Χαλέπα")
    entities = [{"entity": "location", "start": start, "end": start + len("Χαλέπα")}]
    status, _, resp = await annotator.post(f"{REVIEW}/{trained_id}", {
        "intent": "complaint_lighting", "entities": json.dumps(entities), "back": REVIEW})
    assert status == 303 and "done=nlu_corrected" in resp.headers["Location"]
    status, _, _ = await annotator.post(f"{REVIEW}/{held_id}", {"intent": "complaint_other", "back": REVIEW})
    assert status == 303

    page = (await annotator.get(REVIEW))[1]
    assert "anna" in page  # "reviewed: … (anna)"
    audit = await d.store.audit.find_one({"action": "nlu.label", "target": trained_id})
    assert audit is not None and audit["details"]["intent"] == "complaint_lighting"

    out, held = tmp_path / "reviewed.yml", tmp_path / "holdout.tsv"
    result = await export.export(d.store, path=out, holdout_path=held)
    assert (result.training, result.holdout) == (1, 1)
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    blocks = {b["intent"]: b for b in data["nlu"]}
    assert list(blocks) == ["complaint_lighting"]
    assert blocks["complaint_lighting"]["metadata"] == {"lang": "el", "source": "reviewed"}
    example = blocks["complaint_lighting"]["examples"].strip()
    assert example == "- Στη [Χαλέπα](location) τα βράδια δεν βλέπουμε πού πατάμε, τηλ ☎•••"
    assert "6987654321" not in out.read_text(encoding="utf-8")
    with held.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, dialect="excel-tab"))
    assert rows == [{"text": "kanenas den apanta sto tilefono tou dimou", "intent": "complaint_other", "lang": "el",
                     "script": "greeklish"}]


async def test_export_leaves_out_duplicates_and_reports_conflicts_with_the_handwritten_data(
        dashboard: Dashboard, tmp_path: Path) -> None:
    d = dashboard
    first, second, third = (message_id(p, holdout=False) for p in ("c", "d", "e"))
    await add_message(d, first, "ΔΕΝ ΜΑΖΕΨΑΝ ΤΑ ΣΚΟΥΠΙΔΙΑ ΣΤΗ ΣΟΥΔΑ", "complaint_waste", 0.9, minutes_ago=5)
    await add_message(d, second, "δεν μάζεψαν τα σκουπίδια στη Σούδα", "complaint_waste", 0.9)
    await add_message(d, third, "ΓΕΙΑ ΣΑΣ", "greet", 0.99)
    annotator = await d.login("anna", role="annotator")
    await annotator.get(REVIEW)
    for msg in (first, second):
        assert (await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_waste", "back": REVIEW}))[0] == 303
    assert (await annotator.post(f"{REVIEW}/{third}", {"intent": "thanks", "back": REVIEW}))[0] == 303

    result = await export.export(d.store, path=tmp_path / "reviewed.yml", holdout_path=tmp_path / "h.tsv")
    # the two spellings of one message are one example; "Γεια σας" is `greet` in nlu/data: a conflict, left out
    assert result.training == 1 and result.duplicates == 1
    assert result.conflicts == [{"text": "ΓΕΙΑ ΣΑΣ", "label": "thanks", "handwritten": "greet"}]


async def test_bad_labels_are_refused_and_nothing_is_stored(dashboard: Dashboard) -> None:
    d = dashboard
    msg = message_id("f", holdout=False)
    await add_message(d, msg, "λακκούβα στην Αποκορώνου", "complaint_roads", 0.8)
    annotator = await d.login("anna", role="annotator")
    await annotator.get(REVIEW)
    status, _, resp = await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_spaceships", "back": REVIEW})
    assert status == 303 and "error=nlu_bad_intent" in resp.headers["Location"]
    overlapping = json.dumps([{"entity": "location", "start": 0, "end": 8}, {"entity": "sight", "start": 5, "end": 12}])
    status, _, resp = await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_roads", "entities": overlapping})
    assert status == 303 and "error=nlu_bad_entities" in resp.headers["Location"]
    outside = json.dumps([{"entity": "location", "start": 10, "end": 999}])
    status, _, _ = await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_roads", "entities": outside})
    assert status == 303
    assert (await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_roads", "entities": "[{"}))[0] == 400
    assert (await annotator.post(f"{REVIEW}/telegram:nope", {"intent": "complaint_roads"}))[0] == 404
    assert (await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_roads"}, csrf="forged"))[0] == 403
    assert await d.store.nlu_labels.count_documents({}) == 0


async def test_corrections_in_the_complaint_flow_are_labels(dashboard: Dashboard, tmp_path: Path) -> None:
    d = dashboard
    said = "Στο στενό μας μυρίζει απαίσια εδώ και μέρες"
    msg = message_id("g", holdout=False)
    await add_message(d, msg, said, "complaint_animals", 0.41, conversation="telegram:55", minutes_ago=3)
    await add_message(d, "telegram:other", "Καλησπέρα", "greet", 0.97, conversation="telegram:55", minutes_ago=2)
    # the resident chose "waste" in the flow: the ticket has the category they chose and their words
    await tickets.create_ticket(d.services, category="complaint_waste", description=said, channel="telegram",
                                language="el", conversation_id="telegram:55")
    annotator = await d.login("anna", role="annotator")

    status, page, _ = await annotator.get(REVIEW, params={"corrected": "1"})
    assert status == 200 and items_of(page) == [msg]
    label = await d.store.nlu_labels.find_one({"_id": msg})
    assert label is not None
    assert (label["intent"], label["source"], label["reviewed"]) == ("complaint_waste", "resident", False)

    data = yaml.safe_load((await _export(d, tmp_path)).read_text(encoding="utf-8"))
    assert [(b["intent"], b["examples"].strip()) for b in data["nlu"]] == [("complaint_waste", f"- {said}")]

    # an annotator's review outranks the flow
    await annotator.post(f"{REVIEW}/{msg}", {"intent": "complaint_water", "back": REVIEW})
    await labels.sync_flow_corrections(d.store)
    label = await d.store.nlu_labels.find_one({"_id": msg})
    assert (label["intent"], label["source"], label["flow_intent"]) == ("complaint_water", "review", "complaint_waste")


async def _export(d: Dashboard, tmp_path: Path) -> Path:
    out = tmp_path / "reviewed.yml"
    await export.export(d.store, path=out, holdout_path=tmp_path / "h.tsv")
    return out


async def test_only_annotators_and_admins_see_the_queue(dashboard: Dashboard) -> None:
    d = dashboard
    await add_message(d, "telegram:9", "Γεια", "greet", 0.9)
    operator = await d.login("olga", role="operator")
    assert (await operator.get(REVIEW))[0] == 403
    assert (await operator.post(f"{REVIEW}/telegram:9", {"intent": "greet"}))[0] == 403
    admin = await d.login("root", role="admin")
    status, page, _ = await admin.get(REVIEW)
    assert status == 200 and items_of(page) == ["telegram:9"]
    annotator = await d.login("anna", role="annotator")
    status, _, resp = await annotator.get("/staff/", allow_redirects=False)
    assert status == 303 and resp.headers["Location"] == REVIEW
    assert (await annotator.get("/staff/tickets"))[0] == 403


def test_entity_offsets_are_checked_and_trimmed() -> None:
    text = "στον Μπάλο αύριο"
    assert labels.clean_entities(text, [{"entity": "sight", "start": 4, "end": 11}]) == [
        {"entity": "sight", "value": "Μπάλο", "start": 5, "end": 10}]
    too_many = [{"entity": "sight", "start": 4, "end": 5}] * 21
    for bad in ([{"entity": "weather", "start": 0, "end": 2}], [{"entity": "sight", "start": 3, "end": 3}],
                [{"entity": "sight", "start": "0", "end": 2}], "sight", too_many):
        try:
            labels.clean_entities(text, bad)
        except labels.LabelError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_script_of_matches_the_split_files() -> None:
    cases: dict[str, Any] = {"Δεν ανάβει η λάμπα": "accented", "δεν αναβει η λαμπα": "unaccented",
                             "ΔΕΝ ΑΝΑΒΕΙ": "upper", "den anavei h lampa": "greeklish", "the lamp is out": "english"}
    assert {t: labels.script_of(t) for t in cases} == cases


async def test_export_masks_personal_data_and_an_erased_persons_texts_leave_both_files(
        dashboard: Dashboard, tmp_path: Path) -> None:
    d = dashboard
    trained, held, other = message_id("h", holdout=False), message_id("i", holdout=True), message_id("j", holdout=False)
    await add_message(d, trained, "σπασμένο πεζοδρόμιο στην Τσαγκαράκη, το κινητό μου 6944123456", "complaint_roads",
                      0.6, conversation="telegram:201")
    await add_message(d, held, "kapoios petaei mpaza sto rema, grapste mou sto nikos.p@example.gr", "complaint_waste",
                      0.5, conversation="telegram:201")
    await add_message(d, other, "the fountain in the park leaks all day", "complaint_water", 0.7,
                      conversation="telegram:202")
    annotator = await d.login("anna", role="annotator")
    await annotator.get(REVIEW)
    for msg, intent in ((trained, "complaint_roads"), (held, "complaint_waste"), (other, "complaint_water")):
        assert (await annotator.post(f"{REVIEW}/{msg}", {"intent": intent, "back": REVIEW}))[0] == 303
    # a label written unmasked (by hand, or before masking existed) is masked by the export too
    await d.store.nlu_labels.insert_one({
        "_id": "viber:old", "text": "λακκούβα στη Σούδα, πάρτε με 2821012345", "intent": "complaint_roads",
        "entities": [{"entity": "location", "value": "Σούδα", "start": 13, "end": 18}], "source": "review",
        "script": "accented", "holdout": False, "conversation_id": "viber:203", "labelled_at": utcnow()})

    out, holdout = tmp_path / "reviewed.yml", tmp_path / "holdout.tsv"
    result = await export.export(d.store, path=out, holdout_path=holdout)
    assert (result.training, result.holdout) == (3, 1)
    both = out.read_text(encoding="utf-8") + holdout.read_text(encoding="utf-8")
    for personal in ("6944123456", "nikos.p@example.gr", "2821012345"):
        assert personal not in both
    assert "Τσαγκαράκη, το κινητό μου ☎•••" in both and "grapste mou sto ✉•••" in both
    assert "λακκούβα στη Σούδα, πάρτε με ☎•••" in both  # its entity offsets no longer fit: exported without them

    report = await erase_subject(d.store, await of_conversation(d.store, "telegram:201"))
    assert report.deleted["nlu_labels"] == 2
    result = await export.export(d.store, path=out, holdout_path=holdout)
    assert (result.training, result.holdout) == (2, 0)
    both = out.read_text(encoding="utf-8") + holdout.read_text(encoding="utf-8")
    assert "Τσαγκαράκη" not in both and "mpaza sto rema" not in both
    assert "the fountain in the park leaks all day" in both
    with holdout.open(encoding="utf-8") as handle:
        assert list(csv.DictReader(handle, dialect="excel-tab")) == []
