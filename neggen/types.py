"""The five negative types of DeGLA and the family aliases users may type."""

from __future__ import annotations

from enum import StrEnum


class NegType(StrEnum):
    reshuffle = "reshuffle"
    swap_nouns = "swap_nouns"
    swap_adjectives = "swap_adjectives"
    replace_adjectives = "replace_adjectives"
    replace_nouns = "replace_nouns"


ALL_TYPES: tuple[NegType, ...] = tuple(NegType)


def in_type_order(names: set[str]) -> list[str]:
    """Type names in ALL_TYPES order, then any other names sorted (the order every QA table uses)."""
    return [t.value for t in ALL_TYPES if t.value in names] + sorted(names - {t.value for t in ALL_TYPES})


FAMILY_ALIASES: dict[str, tuple[NegType, ...]] = {
    "swap": (NegType.swap_nouns, NegType.swap_adjectives),
    "replace": (NegType.replace_adjectives, NegType.replace_nouns),
    "all": ALL_TYPES,
}


def resolve_types(names: str | list[str]) -> list[NegType]:
    """Expand 'swap', 'all', comma lists and repeats into concrete types, in canonical order."""
    if isinstance(names, str):
        names = [names]
    wanted: set[NegType] = set()
    for raw in names:
        for name in (part.strip() for part in raw.split(",")):
            if not name:
                continue
            if name in FAMILY_ALIASES:
                wanted.update(FAMILY_ALIASES[name])
            elif name in NegType.__members__:
                wanted.add(NegType(name))
            else:
                choices = ", ".join([*NegType.__members__, *FAMILY_ALIASES])
                raise ValueError(f"unknown negative type {name!r}; choose from {choices}")
    if not wanted:
        raise ValueError("no negative type given")
    return [t for t in ALL_TYPES if t in wanted]
