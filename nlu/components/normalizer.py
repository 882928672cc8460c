"""``ChaniaNormalizer``: the first component of the pipeline, applying ``nlu/chania_text.py`` to every token.

It is a whitespace tokenizer whose tokens carry the normalised form (``to_latin`` by default, ``normalize`` with
``form: plain``) as their text and lemma, while their ``start``/``end`` still point into the original message.
Featurizers and classifiers downstream see only the normalised form, identically at training and at parse time;
the parse answer keeps the person's own text, and entity offsets refer to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message

from nlu.chania_text import normalize, to_latin

FORMS: dict[str, Callable[[str], str]] = {"latin": to_latin, "plain": normalize}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ChaniaNormalizer(WhitespaceTokenizer):
    """Whitespace tokenizer + the project's one normaliser (casefold, NFD, no marks, final sigma, Latin form)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "form": "latin"}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("form", "latin") not in FORMS:
            raise InvalidConfigException(f"ChaniaNormalizer: 'form' must be one of {sorted(FORMS)}, "
                                         f"not {config.get('form')!r}")

    def __init__(self, config: dict[str, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.validate_config(config)
        super().__init__(config)
        self._form = FORMS[config["form"]]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        out = []
        for token in tokens:
            form = self._form(token.text) or token.text
            out.append(Token(form, token.start, token.end, data=token.data, lemma=form))
        return out
