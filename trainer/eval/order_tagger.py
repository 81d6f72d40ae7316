"""What ARO's COCO-Order and Flickr-Order need of a tagger: spaCy's, or the offline lexicon's (aro_order.py)."""

from __future__ import annotations

from typing import Protocol


class OrderTagger(Protocol):
    name: str

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Tokens of `text` (spaCy-like: punctuation and clitics split off) with NOUN / ADJ / OTHER."""
        ...

    def word_tokenize(self, text: str) -> list[str]:
        """NLTK-like word tokens, for the trigram shuffles."""
        ...
