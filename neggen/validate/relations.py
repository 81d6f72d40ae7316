"""Attested relations: an exchange of nouns may not trade a relation real captions show for one they never show.

An exchange (swap_nouns, reshuffle) moves two things into each other's relations. Whether the result is a scene
a photo could show is world knowledge the parse and WordNet lack: "a boy wearing a coat near a suitcase" exchanged
gives a boy *wearing a suitcase*; "a young man riding a skateboard over a stone bench" gives one *riding a bench*.
Captions of real photos hold some of that knowledge, read as relations (`validate.links`: `obj(wear, coat)`,
`on(sit, couch)`, `subj on(cat, shelf)`).

An exchange is `unattested` when it turns a relation the reference captions show into one they never show
(`RelationTable.refused`), or moves two things (no person or animal) only into relations they never show
(`RelationTable.unvouched`); where they show neither side of an exchange of people or animals, the table says
nothing. Measured in docs/negatives.md, rounds 6 and 7.

The table shipped (neggen/data/relations.parquet) counts the relations of the COCO Karpathy test captions
of the images neggen's labelled sets, holdouts and demo do not use (`python -m neggen.validate.relations`
rewrites it; a test checks the shipped file is its output). `neggen relations CAPTIONS --out FILE` builds one
from a run's own corpus; `--set relations=FILE` uses it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from neggen.edits.replacements import noun_alternatives
from neggen.errors import one_line
from neggen.text.pos import DEFAULT_TAGGER, Analysis, PosTagger
from neggen.types import NegType
from neggen.validate.kinds import ANIMATE_KINDS, noun_kind
from neggen.validate.links import Relation, changed, relations, show
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
BUNDLED_TABLE = DATA_DIR / "relations.parquet"
SOURCE = Path(__file__).resolve().parents[2] / "data" / "annotations" / "coco_karpathy_test.json"
QUALITY_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "quality"
DEMO_CAPTIONS = Path(__file__).resolve().parents[2] / "data" / "coco_karpathy_test_sample.json"
# Sister nouns of each end tried when a relation itself is in no reference caption.
SISTERS = 3
# Every fifth image of the Karpathy test split is kept out of the table for holdouts still to be drawn.
RESERVED_EVERY = 5


@dataclass(frozen=True)
class RelationTable:
    """How many reference captions have each relation."""

    counts: dict[Relation, int]
    source: str = ""  # what the counts were read from, for the manifest
    # The types whose edit exchanges two things (the others keep every thing in its relations).
    checks: ClassVar[frozenset[NegType]] = frozenset({NegType.swap_nouns, NegType.reshuffle})

    def knows(self, relation: Relation, besides: frozenset[str] = frozenset()) -> bool:
        """Has a reference caption this relation, or one with a sister noun (`SISTERS` of each,
        neggen.edits.replacements, none of them in `besides`) in either place: "sit on a bench" vouches for "sit
        on a chair". A verb governor has noun sisters too where its lemma is also a noun ("stand": shelf);
        that only makes the table vouch more."""
        if relation in self.counts:
            return True
        name, governor, dependent = relation
        sisters = [s for s in noun_alternatives(dependent) if s not in besides][:SISTERS]
        if any((name, governor, s) in self.counts for s in sisters):
            return True
        sisters = [s for s in noun_alternatives(governor) if s not in besides][:SISTERS]
        return any((name, s, dependent) in self.counts for s in sisters)

    def refused(self, pairs: list[tuple[Relation, Relation]]) -> list[tuple[Relation, Relation]]:
        """Of (caption's relation, negative's relation) pairs, those where the table knows the caption's and not
        the negative's: the captions show the scene one way and never the other. Where it knows neither, it says
        nothing. The exchanged words vouch for no relation of each other's (a dog and a cat are sisters: "a dog
        on a lawn" says nothing of a cat on one)."""
        swapped = _exchanged_words(pairs)
        return [(b, a) for b, a in pairs if self.knows(b) and not self.knows(a, besides=swapped)]

    def unvouched(self, pairs: list[tuple[Relation, Relation]]) -> bool:
        """Do two things (neither a person nor an animal) move only into relations the table does not know?
        People and animals do things to each other in any direction ("a cow watching a dog"); things stand in
        relations their sizes and uses allow ("a plate of forks", "a comforter lying on a cat"), which
        captions show. Labelled rows of tune set T: 7 good of 67 such exchanges (docs/negatives.md, round 7)."""
        swapped = _exchanged_words(pairs)
        if not pairs or any(noun_kind(w) in ANIMATE_KINDS for w in swapped):
            return False
        return not any(self.knows(after, besides=swapped) for _, after in pairs)

    def check(self, caption: Analysis, negative: Analysis) -> Verdict:
        """A negative may not trade a relation of its caption the table knows for one it does not, nor move two
        things only into relations the table does not know."""
        pairs = changed(caption, negative)
        refused: dict[Relation, Relation] = {}  # each new relation with the first one it replaced
        for before, after in self.refused(pairs):
            refused.setdefault(after, before)
        if refused:
            said = ", ".join(f"{show(after)} for {show(before)}" for after, before in list(refused.items())[:2])
            return reject(Reason.unattested, f"in no reference caption: {said}")
        if self.unvouched(pairs):
            said = ", ".join(sorted({show(after) for _, after in pairs})[:2])
            return reject(Reason.unattested, f"things moved into relations no reference caption has: {said}")
        return ACCEPT

    def allows(self, pairs: list[tuple[Relation, Relation]]) -> bool:
        """May an exchange change these relations (`validate.links.exchanged`, off the caption's own parse)? For
        the edit form, to offer only such exchanges."""
        return not self.refused(pairs) and not self.unvouched(pairs)

    def record(self) -> dict[str, object]:
        """What the manifest says of the table a run used."""
        return {"source": self.source, "relations": len(self.counts), "sha256_12": self.fingerprint}

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(json.dumps(sorted(self.counts.items())).encode()).hexdigest()
        return digest[:12]

    @classmethod
    def build(cls, captions: Sequence[str], tagger: PosTagger = DEFAULT_TAGGER, source: str = "") -> RelationTable:
        counts: Counter[Relation] = Counter()
        for words in tagger.analyze(list(captions)):
            counts.update(relations(words))  # a caption counts once per relation
        # The lemmas are the tagger's ("riding" is `rid`): a table read by another tagger matches less.
        return cls(dict(counts), f"{source}; tagger {tagger.name} {tagger.version}")

    def save(self, path: Path) -> None:
        import pyarrow as pa

        from neggen.run.atomic import write_parquet_atomic

        rows = sorted(self.counts.items())
        table = pa.table(
            {
                "relation": pa.array([r[0] for r, _ in rows], pa.string()),
                "governor": pa.array([r[1] for r, _ in rows], pa.string()),
                "dependent": pa.array([r[2] for r, _ in rows], pa.string()),
                "captions": pa.array([n for _, n in rows], pa.int32()),
            },
            schema=table_schema(),
        ).replace_schema_metadata({"source": self.source})
        write_parquet_atomic(path, table, table_schema())


def _exchanged_words(pairs: list[tuple[Relation, Relation]]) -> frozenset[str]:
    """The lemmas an exchange moved: those that differ between a relation and the one that took its place."""
    return frozenset(x for before, after in pairs for x, y in zip(before, after, strict=True) if x != y)


def table_schema():
    import pyarrow as pa  # only where a table is written or read

    return pa.schema(
        [("relation", pa.string()), ("governor", pa.string()), ("dependent", pa.string()), ("captions", pa.int32())]
    )


def load_table(path: Path) -> RelationTable:
    """A relation table written by `RelationTable.save`; a file that is not one raises ValueError, one line."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise ValueError(f'relations: no table at {path} ("bundled", "off" or a file `neggen relations` wrote)')
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a relation table ({one_line(e)})") from None
    if not table.schema.remove_metadata().equals(table_schema()) or any(c.null_count for c in table.columns):
        raise ValueError(f"{path}: not a relation table (columns {table.schema.names}, want {table_schema().names})")
    cols = [table.column(n).to_pylist() for n in table_schema().names]
    source = (table.schema.metadata or {}).get(b"source", b"").decode()
    return RelationTable({(r, g, d): n for r, g, d, n in zip(*cols, strict=True)}, source)


def table_for(setting: str) -> RelationTable | None:
    """The table a run's `relations` setting names: "bundled", a path, or "off" (None). Read once per file
    state (a rewritten file is read again)."""
    if setting == "off":
        return None
    path = (BUNDLED_TABLE if setting == "bundled" else Path(setting)).expanduser().resolve()
    stat = path.stat() if path.is_file() else None
    return _load(path, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int, size: int) -> RelationTable:
    return load_table(path)


def reference_captions(source: Path = SOURCE) -> list[str]:
    """The bundled table's captions: the Karpathy test split less every fifth image (kept for holdouts to
    come) and every image with a caption in the labelled quality set or the demo sample."""
    used = _used_captions()
    images = json.loads(source.read_text(encoding="utf-8"))
    return [
        c.strip()
        for n, image in enumerate(images)
        if n % RESERVED_EVERY != 0 and not any(c.strip() in used for c in image["caption"])
        for c in image["caption"]
    ]


def _used_captions() -> set[str]:
    used = {c.strip() for image in json.loads(DEMO_CAPTIONS.read_text(encoding="utf-8")) for c in image["caption"]}
    for path in sorted(QUALITY_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "caption" in row:
                used.add(row["caption"].strip())
    return used


def main() -> int:
    """Rewrite the bundled table from `reference_captions`."""
    captions = reference_captions()
    table = RelationTable.build(captions, source=f"{SOURCE.name}: {len(captions)} captions")
    table.save(BUNDLED_TABLE)
    print(f"{BUNDLED_TABLE}: {len(table.counts)} relations from {len(captions)} captions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
