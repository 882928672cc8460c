"""What a short typed answer means, in any script (Greek accented or not, Greeklish, English).

* :func:`yes_or_no` — "ναι", "nai", "σωστά", "ok", "exactly" → True; "όχι", "oxi", "λάθος", "no" → False;
  anything else (an address, a question) → None. NLU's ``affirm``/``deny`` count only when the words say nothing.
* :func:`skips` — "skip", "continue without", "συνέχεια", "χωρίς", "δεν έχω", "xoris": go on without this.
* :func:`place_kind` — is a typed answer to "where?" a place (``"place"``: a street word, a number, a known area
  or sight), "here" (``"here"``: "εδώ", "στο σπίτι μου" — only the location button can say where), a shrug
  (``"unsure"``: "ξέρω γω", "dunno"), keyboard noise (``"gibberish"``), or cannot tell (``"maybe"``)?
* :func:`place_from_entities` — the place a message names: the street rather than where the writer lives, with
  its house number ("Αποκορώνου 25").
"""

from __future__ import annotations

import re
from typing import Literal

from bot.core.models import Entity, NluResult
from nlu.chania_text import normalize

_WORD = re.compile(r"\w+")

_YES = frozenset({
    "yes", "yeah", "yep", "yup", "yea", "ok", "okay", "sure", "correct", "right", "exactly", "indeed", "true",
    "ναι", "σωστα", "σωστο", "ακριβωσ", "βεβαια", "βεβαιωσ", "ενταξει", "μαλιστα", "οκ", "ισχυει",
    "nai", "ne", "swsta", "sosta", "swsto", "sosto", "akrivos", "akribws", "akrivws", "akribos", "vevaia", "bebaia",
    "entaxei", "entaksei", "malista", "isxyei", "isxuei",
})
_NO = frozenset({
    "no", "nope", "nah", "not", "wrong", "incorrect", "elsewhere", "isn",
    "οχι", "λαθοσ", "αλλου", "δεν", "καθολου",
    "oxi", "ohi", "ochi", "lathos", "la8os", "allou", "den", "katholou",
})
# a no word that begins many other answers ("δεν ξέρω", "den thymamai"): a no only with nothing else
_NOT_A_NO_ALONE = frozenset({"δεν", "den", "not"})
# words that may stand around a yes or a no without changing it ("yes, that's it", "όχι, δεν είναι εκεί")
_AROUND = frozenset({
    "it", "is", "s", "t", "that", "thats", "there", "the", "place", "spot", "please", "thanks", "thank", "you",
    "its", "yes", "indeed", "exactly", "right", "correct",
    "εκει", "αυτο", "αυτη", "ειναι", "το", "η", "ακριβωσ", "σωστα", "ευχαριστω", "παρακαλω", "ναι",
    "ekei", "afto", "auto", "einai", "to", "h", "i", "parakalw", "parakalo", "eyxaristw", "euxaristw",
})


def _words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


_SKIP = frozenset({
    "skip", "continue", "without", "next", "later", "carry", "proceed",
    "συνεχεια", "συνεχισε", "συνεχιστε", "συνεχιζουμε", "συνεχιζω", "χωρισ", "παραλειψη", "προσπερασε", "επομενο",
    "synexeia", "sinexeia", "synexise", "sinexise", "xoris", "xwris", "choris", "epomeno",
})
_SKIP_PHRASES = ("δεν εχω", "δεν μπορω", "den exw", "den exo", "den mporw", "den mporo", "i can t", "i cannot",
                 "i don t have", "no gps", "not now")


def skips(text: str) -> bool:
    """A short answer that means "go on without it" (an optional step: the pin, a photo)."""
    words = _words(text)
    if not words or len(words) > 6:
        return False
    joined = " ".join(words)
    return any(w in _SKIP for w in words) or any(p in joined for p in _SKIP_PHRASES)


def yes_or_no(text: str, nlu: NluResult | None = None, *, min_confidence: float = 0.6) -> bool | None:
    """True for a yes, False for a no, None when the text is something else (e.g. an address).

    A short answer made only of yes (or no) words and fillers counts, and so does one that *starts* with a yes or a
    no and names no place ("ναι ρε φίλε, εκεί σου λέω", "όχι μωρέ, πιο κάτω"); "ναι, Αποκορώνου 25" is a new place.
    """
    words = _words(text)
    if words and len(words) <= 6 and not any(w.isdigit() for w in words):
        yes = any(w in _YES for w in words)
        no = any(w in _NO for w in words)
        if yes != no and all(w in _YES or w in _NO or w in _AROUND for w in words):
            return yes
    names_a_place = (any(ch.isdigit() for ch in text) or any(w in _PLACE_WORDS and w not in _RELATIVE for w in words)
                     or (nlu is not None and (nlu.entity("location") or nlu.entity("sight"))))
    if words and len(words) <= 10 and not names_a_place:
        first_yes, first_no = words[0] in _YES, words[0] in _NO and words[0] not in _NOT_A_NO_ALONE
        rest = words[1:]
        if first_yes and not any(w in _NO for w in rest):
            return True
        if first_no and not any(w in _YES for w in rest):
            return False
    if nlu is not None and nlu.ok and nlu.confidence >= min_confidence and len(words) <= 4:
        if nlu.intent == "affirm":
            return True
        if nlu.intent == "deny":
            return False
    return None


_UNSURE_PHRASES = (
    "ξερω γω", "δεν ξερω", "δε ξερω", "ποιοσ ξερει", "καπου εκει", "καπου", "δεν θυμαμαι", "ιδεα δεν εχω",
    "kserw gw", "ksero go", "xerw gw", "xero go", "den kserw", "den ksero", "den xerw", "den xero", "kapou",
    "dunno", "don t know", "dont know", "do not know", "no idea", "not sure", "idk", "who knows", "somewhere",
    "anywhere", "whatever", "no clue", "cannot remember", "can t remember",
)
_PLACE_WORDS = frozenset({
    # Greek (normalised: no accents, final sigma as σ)
    "οδοσ", "οδο", "οδου", "οδ", "λεωφοροσ", "λεωφορο", "λεωφορου", "λεωφ", "πλατεια", "πλατειασ", "γωνια",
    "διασταυρωση", "δρομοσ", "δρομο", "δρομου", "στενο", "στενακι", "παραλια", "λιμανι", "παρκο", "κηποσ", "κηπο",
    "σχολειο", "εκκλησια", "αγορα", "πεζοδρομιο", "γεφυρα", "σταση", "σταθμο", "σταθμοσ", "νοσοκομειο", "αρ",
    "απεναντι", "μπροστα", "διπλα", "πισω", "κοντα", "τερμα", "ακτη", "συνοικια", "χωριο",
    # Greeklish
    "odos", "odo", "odou", "leoforos", "leoforo", "plateia", "platia", "gwnia", "gonia", "dromos", "dromo",
    "steno", "paralia", "limani", "parko", "kipos", "kipo", "sxoleio", "ekklhsia", "ekklisia", "agora",
    "apenanti", "mprosta", "dipla", "pisw", "piso", "konta", "akti", "xwrio", "xorio",
    # English
    "street", "st", "road", "rd", "avenue", "ave", "square", "sq", "corner", "junction", "lane", "alley", "harbour",
    "harbor", "port", "park", "garden", "beach", "school", "church", "market", "bridge", "stop", "station",
    "hospital", "near", "opposite", "behind", "outside", "next", "village", "district", "quay", "seafront",
})
# place words that only point ("ναι, εκεί κοντά", "yes, right next to it"): they do not name another place
_RELATIVE = frozenset({"απεναντι", "μπροστα", "διπλα", "πισω", "κοντα", "apenanti", "mprosta", "dipla", "pisw", "piso",
                       "konta", "near", "opposite", "behind", "outside", "next"})
_VOWELS = set("aeiouyαεηιουω")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxzβγδζθκλμνξπρσςτφχψ]{5,}")

PlaceKind = Literal["place", "here", "unsure", "gibberish", "maybe"]


def _gibberish_word(word: str) -> bool:
    return len(word) >= 4 and word.isalpha() and (not (set(word) & _VOWELS) or bool(_CONSONANT_RUN.search(word)))


# "here", "at my place": where the writer is, which the words alone cannot say (the location button can)
_HERE = frozenset({
    "εδω", "εδωπερα", "εκει", "εκειπερα", "σπιτι", "γειτονια", "γειτονιασ", "μου", "μασ", "κοντα", "διπλα", "στο",
    "στη", "στην", "στον", "το", "τη", "την", "μπροστα", "εξω", "απο", "ακριβωσ", "ειναι", "περα",
    "edw", "edo", "ekei", "spiti", "geitonia", "gitonia", "mou", "mas", "konta", "dipla", "sto", "sth", "sti",
    "stin", "sthn", "ston", "mprosta", "ekso", "exo", "apo", "akrivws", "einai",
    "here", "there", "right", "at", "my", "our", "home", "house", "place", "near", "me", "us", "outside", "in",
    "front", "of", "the", "neighbourhood", "neighborhood", "street", "where", "i", "am", "live", "we",
    "που", "μενω", "μενουμε", "pou", "menw", "meno", "menoume",
})
_HERE_CORE = frozenset({"εδω", "εδωπερα", "εκει", "εκειπερα", "σπιτι", "γειτονια", "γειτονιασ", "edw", "edo",
                        "ekei", "spiti", "geitonia", "gitonia", "here", "there", "home", "house", "neighbourhood",
                        "neighborhood"})


def here_words(text: str) -> bool:
    """"εδώ", "edw", "στο σπίτι μου", "ΕΔΩ ΚΟΝΤΑ", "sth geitonia mou", "right here", "outside my house": a place
    only the person's location can give."""
    words = _words(text)
    return bool(words) and len(words) <= 6 and any(w in _HERE_CORE for w in words) and all(w in _HERE for w in words)


def place_kind(text: str, nlu: NluResult | None = None) -> PlaceKind:
    words = _words(text)
    if not words:
        return "gibberish"
    if here_words(text) and not any(ch.isdigit() for ch in text):
        return "here"
    if any(ch.isdigit() for ch in text) or (nlu is not None and (nlu.entity("location") or nlu.entity("sight"))):
        return "place"
    if any(w in _PLACE_WORDS for w in words):
        return "place"
    plain = " ".join(words)
    if any(re.search(rf"(^| ){re.escape(p)}( |$)", plain) for p in _UNSURE_PHRASES):
        return "unsure"
    if yes_or_no(text) is not None:
        return "unsure"  # a yes or a no is not a place
    long_words = [w for w in words if len(w) >= 3]
    if long_words and sum(_gibberish_word(w) for w in long_words) * 2 >= len(long_words):
        return "gibberish"
    if len(plain) < 3:
        return "gibberish"
    return "maybe"


# "I live in X" names where the writer lives, not where the problem is
_HOME_CUES = frozenset({"μενω", "κατοικω", "μενουμε", "meno", "menw", "katoikw", "live", "living", "lives", "from"})
_HOUSE_NUMBER_AFTER = re.compile(
    r"\s*,?\s*(?:αρ\.?\s*|no\.?\s*|#\s*|νο\.?\s*"
    r"|(?:μπροστ[άα]|απ[έε]ναντι|δ[ίι]πλα|κοντ[άα]|mprosta|apenanti|dipla|konta)\s+(?:(?:απ[όο]|στο|apo|sto)\s+)?"
    r"(?:(?:το|to)\s+)?(?:(?:ν[οό]ύμερο|αριθμ[όο]|noumero)\s+)?)?"
    r"(\d{1,4}[α-ωa-z]?)\b", re.IGNORECASE)
# "stin Kalergon 12", "στην Καλλεργών 12", "on Kalergon 12": a street the gazetteer does not know, with its number
_STREET_AND_NUMBER = re.compile(
    r"(?:^|\s)(?:στην?|στον|στο|οδ[όο]ς?|επ[ίι] της|sti?n?|sth?n?|ston|sto|odos?|on|at)\s+"
    r"(?:(?:οδ[όο][ύυ]?ς?|odou?s?)\s+)?((?:[^\W\d_]{3,}\s+){0,2}[^\W\d_]{3,})\s*,?\s+(\d{1,4}[α-ωa-z]?)\b",
    re.IGNORECASE)
_HOUSE_NUMBER_BEFORE = re.compile(r"\b(\d{1,4}[a-z]?)\s*,?\s*$", re.IGNORECASE)


def _house_number(text: str, entity: Entity) -> str | None:
    if entity.end is not None:
        m = _HOUSE_NUMBER_AFTER.match(text[entity.end:])
        if m and not _is_time_after(text[entity.end + m.end(1):]):  # "στην Αποκορώνου 3 μέρες τώρα"
            return m.group(1)
    if entity.start is not None:
        m = _HOUSE_NUMBER_BEFORE.search(text[:entity.start])
        if m:
            return m.group(1)
    return None


def _is_time_after(rest: str) -> bool:
    words = _words(rest)[:1]
    return bool(words) and words[0].startswith(("μερ", "ημερ", "εβδομ", "ωρ", "μην", "λεπτ", "χρον", "day", "week",
                                                 "hour", "month", "minute", "year", "mer", "evdom", "min", "xron"))


def street_and_number(text: str) -> str | None:
    """A street named with a preposition and a house number ("stin Kalergon 12" → "Kalergon 12"), as typed."""
    for m in _STREET_AND_NUMBER.finditer(text):
        name, number = m.group(1), m.group(2)
        if _is_time_after(text[m.end():]) or any(w in _HERE for w in _words(name)):
            continue
        return f"{name} {number}"
    return None


def place_from_entities(text: str, nlu: NluResult) -> str | None:
    """The ``location`` a message names as the problem's place, with its house number if one follows it; else a
    street the lookup tables do not know, typed with a preposition and a number."""
    places = [e for e in nlu.entities if e.entity == "location" and e.value]
    if not places:
        return street_and_number(text)
    chosen = places[0]
    for e in places:
        before = _words(text[:e.start])[-3:] if e.start is not None else []
        if not any(w in _HOME_CUES for w in before):
            chosen = e
            break
    number = _house_number(text, chosen)
    corner = _corner_with(text, chosen, places)
    if corner is not None and not number:  # "στη γωνία Κυδωνίας και Αποκορώνου": both streets
        return f"{chosen.value} & {corner.value}"
    return f"{chosen.value} {number}" if number else chosen.value


_CORNER_WORDS = frozenset({"γωνια", "διασταυρωση", "gwnia", "gonia", "diastavrosi", "diastaurwsh", "corner",
                           "junction", "crossing", "intersection"})


def _corner_with(text: str, chosen: Entity, places: list[Entity]) -> Entity | None:
    """The other street of a corner: a second ``location`` right after the first, with a corner word before."""
    if chosen.start is None or chosen.end is None or not any(w in _CORNER_WORDS for w in _words(text[:chosen.end])):
        return None
    for e in places:
        if e is not chosen and e.start is not None and 0 <= e.start - chosen.end <= 8:  # " και ", " & ", " and "
            return e
    return None
