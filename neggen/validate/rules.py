"""The per-type rules: reshuffle, the two swaps, the two replaces."""

from __future__ import annotations

from collections import Counter

from neggen.pos import Pos, PosTagger
from neggen.types import NegType
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject
from neggen.validate.spans import changed_region, count_edit_spans, find_swap

MAX_SWAP_SPAN = 4
MAX_REPLACE_SPAN = 3


def _adjectival(tags: list[Pos]) -> bool:
    """A span of modifiers: some adjective or quantity word, and no noun."""
    return bool({Pos.ADJ, Pos.NUM} & set(tags)) and Pos.NOUN not in tags


def _same_words(caption: list[str], negative: list[str]) -> Verdict:
    if Counter(caption) != Counter(negative):
        missing = sorted((Counter(caption) - Counter(negative)).elements())
        extra = sorted((Counter(negative) - Counter(caption)).elements())
        return reject(Reason.not_permutation, f"missing {missing[:4]} extra {extra[:4]}")
    return ACCEPT


def check_reshuffle(caption: list[str], negative: list[str], tagger: PosTagger) -> Verdict:
    return _same_words(caption, negative)


def check_swap(caption: list[str], negative: list[str], tagger: PosTagger, wanted: Pos) -> Verdict:
    verdict = _same_words(caption, negative)
    if not verdict.accepted:
        return verdict
    swap = find_swap(caption, negative, MAX_SWAP_SPAN)
    if swap is None:
        return reject(Reason.no_swap_found, "not one exchange of two short spans")
    tags = tagger.tag(caption)
    spans = [swap.x, swap.y]
    span_text = " <-> ".join(" ".join(caption[a:b]) for a, b in spans)
    if wanted == Pos.NOUN:
        # A noun phrase ends in its noun: "a man", "the fire hydrant".
        ok = all(tags[b - 1] == Pos.NOUN for _, b in spans)
    else:
        ok = all(_adjectival(tags[a:b]) for a, b in spans)
    if not ok:
        return reject(Reason.wrong_part_of_speech, f"{span_text} are not both {wanted.value.lower()}s")
    return ACCEPT


def check_replace(caption: list[str], negative: list[str], tagger: PosTagger, wanted: Pos) -> Verdict:
    region = changed_region(caption, negative)
    old, new = region.caption_span(caption), region.negative_span(negative)
    if not old or not new:
        return reject(Reason.nothing_replaced, "words only added or removed")
    if count_edit_spans(old, new) > 1:
        return reject(Reason.multiple_spans_replaced, f"{' '.join(old)!r} -> {' '.join(new)!r}")
    if len(old) > MAX_REPLACE_SPAN or len(new) > MAX_REPLACE_SPAN:
        return reject(Reason.span_too_long, f"{' '.join(old)!r} -> {' '.join(new)!r}")
    old_tags = tagger.tag(caption)[region.start : region.cap_end]
    new_tags = tagger.tag(negative)[region.start : region.neg_end]
    if wanted == Pos.NOUN:
        ok = Pos.NOUN in old_tags and Pos.NOUN in new_tags
    else:
        ok = _adjectival(old_tags) and _adjectival(new_tags)
    if not ok:
        detail = f"{' '.join(old)!r} -> {' '.join(new)!r} is not a {wanted.value.lower()} replacement"
        return reject(Reason.wrong_part_of_speech, detail)
    return ACCEPT


def check_type(neg_type: NegType, caption: list[str], negative: list[str], tagger: PosTagger) -> Verdict:
    match neg_type:
        case NegType.reshuffle:
            return check_reshuffle(caption, negative, tagger)
        case NegType.swap_nouns:
            return check_swap(caption, negative, tagger, Pos.NOUN)
        case NegType.swap_adjectives:
            return check_swap(caption, negative, tagger, Pos.ADJ)
        case NegType.replace_nouns:
            return check_replace(caption, negative, tagger, Pos.NOUN)
        case NegType.replace_adjectives:
            return check_replace(caption, negative, tagger, Pos.ADJ)
