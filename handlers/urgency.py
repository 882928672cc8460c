"""Does a message speak of an immediate danger (fire, a gas smell, a flood, someone hurt, "urgent")? Then the bot
points to 112 before anything else: a chat report is read in office hours, an emergency cannot wait for that.
Matched on the normalised text (no accents, lower case) in Greek, Greeklish and English, by word beginnings."""

from __future__ import annotations

import re

from nlu.chania_text import normalize

_STEMS = (
    # Greek (normalised), by word beginning
    "επειγ", "κατεπειγ", "κινδυν", "επικινδυν", "φωτια", "φωτιεσ", "καιγεται", "καιγονται", "καπνο", "πλημμυρ",
    "τραυματ", "αιμορραγ", "λιποθυμ", "αεριο", "γκαζι", "ηλεκτροπληξ", "σεισμ",
    # Greeklish
    "epeig", "kindyn", "kindin", "fwtia", "fotia", "kaigetai", "kapno", "plimmyr", "plimyr", "plimir", "travmat",
    "traumat", "gkazi",
)
_WORDS = (  # English, whole words
    "urgent", "urgently", "emergency", "danger", "dangerous", "fire", "fires", "smoke", "flood", "flooded",
    "flooding", "injured", "injury", "bleeding", "gas leak", "smell of gas", "smells of gas", "live wire",
    "electrocuted", "unconscious",
)
_URGENT = re.compile(r"(?:^|\W)(?:(?:" + "|".join(re.escape(s) for s in _STEMS) + r")|(?:"
                     + "|".join(re.escape(w) for w in _WORDS) + r")\b)")


def is_urgent(text: str) -> bool:
    """"είναι επείγον", "μυρίζει γκάζι", "plimmyrise to ypogeio", "there is smoke": an immediate danger."""
    return bool(text) and bool(_URGENT.search(normalize(text)))
