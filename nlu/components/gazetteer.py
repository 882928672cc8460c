"""``ChaniaGazetteer``: finds the city's sights and places in a message, however they are spelled.

It reads the NLU data's lookup tables (``lookup: sight``, ``lookup: location``): each element is a canonical
name, and every ``synonym:`` block whose name is that element adds spellings of it (other languages, Greeklish,
inflected forms). Names and messages are compared word by word in the ``to_latin`` form of ``nlu/chania_text.py``
with a narrow folding of Greek case endings, so "ΣΤΟΝ ΜΠΑΛΟ", "ston mpalo" and "to Balos" all give
``{"entity": "sight", "value": "Balos"}``. The longest name wins; ``start``/``end`` point into the original text.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.chania_text import to_latin

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")


def stem(word: str) -> str:
    """Fold the commonest Greek case endings of names in their ``to_latin`` form: a final -s/-n goes and -ou
    becomes -o, so Μπάλος/Μπάλο/Μπάλου, Χαλέπα/Χαλέπας and Σαμαριά/Σαμαριάς meet (irregular forms are listed as
    synonyms). Deliberately narrow: a looser stem made the basket "καλάθι" the beach Καλαθάς."""
    if len(word) >= 5 and word[-1] in "sn":
        word = word[:-1]
    if len(word) >= 5 and word.endswith("ou"):
        word = word[:-2] + "o"
    return word


def words(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, key)`` for every word of ``text``; ``key`` is the stemmed ``to_latin`` form."""
    return [(m.start(), m.end(), stem(to_latin(m.group()))) for m in _WORD.finditer(text)]


def build_index(names: dict[str, list[tuple[str, list[str]]]]) -> dict[tuple[str, ...], tuple[str, str]]:
    """``{entity: [(canonical, spellings)]}`` -> ``{word keys: (entity, canonical)}``."""
    index: dict[tuple[str, ...], tuple[str, str]] = {}
    for entity, entries in names.items():
        for canonical, spellings in entries:
            for spelling in [canonical, *spellings]:
                key = tuple(w[2] for w in words(spelling))
                if not key:
                    continue
                previous = index.get(key)
                if previous and previous != (entity, canonical):
                    rasa.shared.utils.io.raise_warning(
                        f"ChaniaGazetteer: '{spelling}' is both {previous[0]} '{previous[1]}' and "
                        f"{entity} '{canonical}'; keeping the first.")
                    continue
                index[key] = (entity, canonical)
    return index


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ChaniaGazetteer(GraphComponent, EntityExtractorMixin):
    """Lookup-table entity extractor that is insensitive to accents, case, Greeklish and Greek case endings."""

    FILE_NAME = "gazetteer.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lookup_tables": ["sight", "location"]}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 entries: list[tuple[list[str], str, str]] | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._set_entries(entries or [])

    def _set_entries(self, entries: list[tuple[list[str], str, str]]) -> None:
        self._entries = [(list(key), entity, value) for key, entity, value in entries]
        self._index = {tuple(key): (entity, value) for key, entity, value in self._entries}
        self._longest = max((len(key) for key in self._index), default=0)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ChaniaGazetteer:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        wanted = set(self._config["lookup_tables"])
        spellings: dict[str, list[str]] = {}
        for spelling, canonical in training_data.entity_synonyms.items():
            spellings.setdefault(canonical, []).append(spelling)
        names: dict[str, list[tuple[str, list[str]]]] = {}
        for table in training_data.lookup_tables:
            if table["name"] in wanted and isinstance(table["elements"], list):
                names.setdefault(table["name"], []).extend(
                    (element, spellings.get(element, [])) for element in table["elements"])
        missing = wanted - set(names)
        if missing:
            rasa.shared.utils.io.raise_warning(f"ChaniaGazetteer: no lookup table for {sorted(missing)}.")
        index = build_index(names)
        self._set_entries([(list(key), entity, value) for key, (entity, value) in index.items()])
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / self.FILE_NAME, self._entries)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ChaniaGazetteer:
        try:
            with model_storage.read_from(resource) as directory:
                entries = rasa.shared.utils.io.read_json_file(directory / cls.FILE_NAME)
        except (ValueError, FileNotFoundError):
            logger.warning("ChaniaGazetteer: nothing persisted for %s; it will find no entities.", resource.name)
            entries = []
        return cls(config, model_storage, resource, entries)

    def find(self, text: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        ws = words(text)
        i = 0
        while i < len(ws):
            for length in range(min(self._longest, len(ws) - i), 0, -1):
                hit = self._index.get(tuple(w[2] for w in ws[i:i + length]))
                if hit:
                    found.append({ENTITY_ATTRIBUTE_TYPE: hit[0], ENTITY_ATTRIBUTE_VALUE: hit[1],
                                  ENTITY_ATTRIBUTE_START: ws[i][0], ENTITY_ATTRIBUTE_END: ws[i + length - 1][1]})
                    i += length
                    break
            else:
                i += 1
        return found

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or not self._index:
                continue
            entities = self.add_extractor_name(self.find(text))
            if entities:
                message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
