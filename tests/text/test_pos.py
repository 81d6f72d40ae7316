"""spaCy behind PosTagger: tags in context, alignment to neggen.text.words.words, batching, odd input."""

from __future__ import annotations

import pytest

from neggen.text.pos import DEFAULT_TAGGER, Pos, SpacyTagger, default_tagger
from neggen.text.words import words


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("A red car.", {"a": Pos.DET, "red": Pos.ADJ, "car": Pos.NOUN}),  # the lexicon tagged this "A" a noun
        ("An orange on a plate.", {"orange": Pos.NOUN, "plate": Pos.NOUN}),
        ("A man rides a horse.", {"man": Pos.NOUN, "rides": Pos.VERB, "horse": Pos.NOUN}),
        ("A stop sign near a fire hydrant.", {"stop": Pos.NOUN, "sign": Pos.NOUN, "hydrant": Pos.NOUN}),
        ("A blue and white bus.", {"blue": Pos.ADJ, "white": Pos.ADJ, "bus": Pos.NOUN}),
        ("The dog is brown.", {"brown": Pos.ADJ}),
        ("A sliced pizza on a metal tray.", {"sliced": Pos.ADJ, "tray": Pos.NOUN}),
        ("A kitten chewing on a shoe.", {"kitten": Pos.NOUN, "chewing": Pos.VERB}),
        ("Two dogs with frisbees.", {"two": Pos.NUM, "frisbees": Pos.NOUN}),
        ("A truck loaded with logs.", {"logs": Pos.NOUN}),
        ("His dog.", {"his": Pos.DET}),
    ],
)
def test_tags_in_context(sentence, expected):
    analysis = DEFAULT_TAGGER.analyze([sentence])[0]
    tags = {w.text: w.pos for w in analysis}
    assert {w: tags[w] for w in expected} == expected


def test_tag_on_words_keeps_the_old_interface():
    tokens = words("a kitten chewing on a shoe")
    assert DEFAULT_TAGGER.tag(tokens) == [Pos.DET, Pos.NOUN, Pos.VERB, Pos.OTHER, Pos.DET, Pos.NOUN]


@pytest.mark.parametrize(
    "text",
    [
        "A man's T-shirt, and the dog's toy!",
        "Don't touch the 3pm train\u2019s doors.",
        "ﬁve ﬁsh",  # NFKC ligatures: offsets must follow the normalised text
        "   ",
        "🐶🐶🐶",
        "Un chien sur un canapé.",
        "a_b c--d",
    ],
)
def test_analysis_aligns_with_the_validators_words(text):
    analysis = DEFAULT_TAGGER.analyze([text])[0]
    assert [w.text for w in analysis] == words(text)
    assert all(0 <= w.head < len(analysis) for w in analysis)


def test_lemma_and_heads():
    analysis = {w.text: w for w in DEFAULT_TAGGER.analyze(["An older man's red car."])[0]}
    assert analysis["older"].lemma == "old"
    idx = [w.text for w in DEFAULT_TAGGER.analyze(["An older man's red car."])[0]]
    assert idx[analysis["red"].head] == "car"
    assert idx[analysis["man's"].head] == "car"  # the possessive "'s" token is skipped on the way up


def test_batch_is_one_pipe_call_and_equals_single_calls():
    tagger = SpacyTagger()
    calls = []
    real = tagger.nlp.pipe

    class Spy:
        def __getattr__(self, name):
            return getattr(tagger._nlp_real, name)

        def pipe(self, texts, **kwargs):
            calls.append(len(texts))
            return real(texts, **kwargs)

    tagger._nlp_real = tagger._nlp
    tagger._nlp = Spy()
    texts = ["A dog on a couch.", "Two red buses.", "A dog on a couch.", "A man holds a bat."]
    batched = tagger.analyze(texts)
    assert calls == [3]  # one pass, the repeated text parsed once
    assert tagger.analyze(texts[:1]) == batched[:1] and calls == [3]  # then served from the cache
    assert batched == [default_tagger().analyze([t])[0] for t in texts]


def test_version_names_the_model():
    assert DEFAULT_TAGGER.name == "spacy"
    assert DEFAULT_TAGGER.version.startswith("en_core_web_sm") and "3.8" in DEFAULT_TAGGER.version


def test_a_shouted_caption_is_tagged_as_in_sentence_case():
    """The small model tags all-capital words as proper nouns; the analysis is that of the sentence-cased text
    (and its words the same lower-cased words)."""
    shouted, cased = DEFAULT_TAGGER.analyze(
        [
            "A PERSON HOLDING A BLACKBERRY CELL PHONE IN THEIR HAND",
            "A person holding a blackberry cell phone in their hand",
        ]
    )
    assert shouted == cased
    assert [w.pos for w in shouted][:3] == [Pos.DET, Pos.NOUN, Pos.VERB]


def test_the_attribute_ruler_memo_gives_the_same_analyses_and_verdicts(sugarcrepe_dir):
    """The memo (neggen.text.pos.memo_attribute_ruler) is a speed-up only: on SugarCrepe's captions and negatives
    every analysis, and every verdict of the matching type, is what the plain pipeline gives, cold and warm."""
    import json

    from neggen.text.pos import load_pipeline
    from neggen.types import NegType
    from neggen.validate import validate_batch

    files = {
        "swap_att": NegType.swap_adjectives,
        "swap_obj": NegType.swap_nouns,
        "replace_att": NegType.replace_adjectives,
    }
    rows = [
        (neg_type, v["caption"], v["negative_caption"])
        for name, neg_type in files.items()
        for v in list(json.loads((sugarcrepe_dir / f"{name}.json").read_text()).values())[:300]
    ]
    plain, memo = SpacyTagger(), SpacyTagger()
    plain._nlp, memo._nlp = load_pipeline(memo=False), load_pipeline(memo=True)
    assert type(memo.nlp.get_pipe("attribute_ruler")).__name__ == "_MemoAttributeRuler"
    texts = [t for _, c, n in rows for t in (c, n)]
    expected = plain.analyze(texts)
    assert memo.analyze(texts) == expected  # cold: the memo fills
    memo._cache.clear()
    assert memo.analyze(texts) == expected  # warm: answered from the memo
    assert validate_batch(rows, memo) == validate_batch(rows, plain)
