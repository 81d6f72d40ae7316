"""Attested relations: an exchange must make only relations some reference caption has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from neggen.config import GenerateConfig
from neggen.edits.form import candidate_spans, constraint_for
from neggen.edits.replacements import noun_alternatives
from neggen.text.pos import DEFAULT_TAGGER
from neggen.types import NegType
from neggen.validate import Reason, validate, validate_batch
from neggen.validate.links import exchanged
from neggen.validate.relations import (
    BUNDLED_TABLE,
    DEMO_CAPTIONS,
    RelationTable,
    load_table,
    reference_captions,
    table_for,
)

SKIS = "A group of people riding skis while holding ski poles."
POLES = "A group of people riding ski poles while holding skis."
ROUND5 = Path(__file__).resolve().parents[1] / "data" / "quality" / "round5.jsonl"
ROUND6 = ROUND5.with_name("round6.jsonl")
ROUND7 = ROUND5.with_name("round7.jsonl")
ROUND9 = ROUND5.with_name("round9.jsonl")


def parse(text: str):
    return DEFAULT_TAGGER.analyze([text])[0]


def table_of(*captions: str) -> RelationTable:
    return RelationTable.build(list(captions))


def test_an_exchange_that_trades_a_known_relation_for_an_unseen_one_is_unattested_and_says_which():
    table = table_of("Skiers riding skis.", "A man holding ski poles.")
    verdict = validate(NegType.reshuffle, SKIS, POLES, relations=table)
    assert verdict.reason == Reason.unattested, verdict
    assert "obj(rid, pole) for obj(rid, ski)" in verdict.detail, verdict.detail
    # Without a table, the parse and WordNet alone decide, and they take it.
    assert validate(NegType.reshuffle, SKIS, POLES).accepted


def test_where_the_table_knows_neither_side_of_an_exchange_of_people_or_animals_it_says_nothing():
    caption, negative = "A dog chasing a cat on a lawn.", "A cat chasing a dog on a lawn."
    # The captions show neither the dog's nor the cat's relations: no evidence either way.
    assert validate(NegType.swap_nouns, caption, negative, relations=table_of("A bus on a street.")).accepted


def test_things_must_move_into_some_relation_the_table_knows():
    # Skis and ski poles are things: moved only into relations no caption shows, they are refused.
    verdict = validate(NegType.reshuffle, SKIS, POLES, relations=table_of("A dog on a couch."))
    assert verdict.reason == Reason.unattested, verdict
    assert verdict.detail.startswith("things moved into relations no reference caption has: "), verdict.detail
    # The captions show both ways round: attested.
    both = table_of("Skiers riding skis.", "A man holding ski poles.", "Kids riding poles.", "A man holding skis.")
    assert validate(NegType.reshuffle, SKIS, POLES, relations=both).accepted
    # One new relation known is enough: the table cannot know every relation of a real scene.
    one = table_of("Kids riding poles.")
    assert validate(NegType.reshuffle, SKIS, POLES, relations=one).accepted
    words = parse(SKIS)
    skis, poles = [i for i, w in enumerate(words) if w.text in ("skis", "poles")]
    assert not table_of("A dog on a couch.").allows(exchanged(words, skis, poles))
    assert one.allows(exchanged(words, skis, poles))


def test_relations_inside_a_moved_phrase_move_with_it():
    # "a plate of food" moves whole: of(plate, food) is kept, not traded for of(table, food).
    table = RelationTable({("of", "plate", "food"): 3, ("on", "plate", "table"): 2, ("on", "table", "plate"): 1})
    caption, negative = "A plate of food on a wooden table.", "A wooden table on a plate of food."
    assert validate(NegType.reshuffle, caption, negative, relations=table).accepted
    assert validate(NegType.reshuffle, caption, negative, relations=RelationTable({("on", "plate", "table"): 2}))
    refused = validate(NegType.reshuffle, caption, negative, relations=RelationTable({("on", "plate", "table"): 2}))
    assert refused.reason == Reason.unattested and refused.detail.endswith("on(table, plate) for on(plate, table)")


def test_a_sister_noun_vouches_for_a_relation():
    sister = noun_alternatives("bench")[0]
    table = RelationTable({("on", "sit", "bench"): 2})
    assert table.knows(("on", "sit", "bench")) and table.knows(("on", "sit", sister))
    assert not table.knows(("on", "sit", "umbrella"))
    assert not table.knows(("on", "stand", sister))  # the other end must match


def test_only_exchanges_are_checked():
    table = table_of("A dog sits on a couch.")
    items = [
        (NegType.replace_nouns, "A dog sits on a couch.", "A cat sits on a couch."),
        (NegType.swap_nouns, "A dog sits on a couch.", "A couch sits on a dog."),
    ]
    verdicts = validate_batch(items, relations=table)
    assert verdicts[0].accepted and verdicts[1].reason == Reason.unattested


def test_the_edit_form_offers_only_attested_exchanges():
    caption = "A dog chasing a cat on a lawn."
    everything = candidate_spans(NegType.swap_nouns, caption, DEFAULT_TAGGER)
    assert ("dog", "cat") in everything.pairs
    seen = table_of(caption, "A cat chasing a dog on a lawn.")
    assert candidate_spans(NegType.swap_nouns, caption, DEFAULT_TAGGER, relations=seen).pairs == everything.pairs
    unseen = table_of(caption, "A cat chasing a dog.")  # dogs on lawns, never a cat: subj on(cat, lawn)
    assert candidate_spans(NegType.swap_nouns, caption, DEFAULT_TAGGER, relations=unseen).pairs == []
    reshuffle = candidate_spans(NegType.reshuffle, caption, DEFAULT_TAGGER, relations=unseen)
    assert reshuffle.pairs == [] and constraint_for(NegType.reshuffle, reshuffle) is None
    assert candidate_spans(NegType.reshuffle, caption, DEFAULT_TAGGER, relations=seen).pairs


def test_a_table_round_trips_through_its_file(tmp_path):
    table = table_of("A dog sits on a couch.", "A dog sits on a couch.", "A man holds a cake.")
    assert table.counts[("on", "sit", "couch")] == 2  # a caption counts once per relation, captions add up
    table.save(tmp_path / "t.parquet")
    again = load_table(tmp_path / "t.parquet")
    assert again.counts == table.counts and again.fingerprint == table.fingerprint


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no table at"),
        (lambda p: p.write_bytes(b"PAR1 not parquet at all"), "not a relation table"),
        (lambda p: pq.write_table(pa.table({"caption": ["a dog"]}), p), "not a relation table (columns"),
    ],
)
def test_a_missing_or_foreign_table_is_one_clear_line(tmp_path, make, message):
    path = tmp_path / "relations.parquet"
    make(path)
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        load_table(path)
    assert "\n" not in str(caught.value)


def test_the_setting_names_the_bundled_table_a_file_or_off(tmp_path, monkeypatch):
    assert table_for("off") is None
    bundled = table_for("bundled")
    assert bundled is not None and len(bundled.counts) > 20_000 and "captions" in bundled.source
    monkeypatch.delenv("NEGGEN_RELATIONS")
    assert GenerateConfig().relations == "bundled"  # the default outside this suite


def test_the_reference_captions_leave_out_every_labelled_and_demo_caption():
    reference = set(reference_captions())
    quality = ROUND5.parent
    labelled = {
        json.loads(line)["caption"].strip()
        for name in (
            "round5.jsonl",
            "round6.jsonl",
            "round6_captions.jsonl",
            "round9.jsonl",
            "round10.jsonl",
            "reshuffle_ceiling.jsonl",
            "rows.jsonl",
        )
        for line in (quality / name).read_text().splitlines()
    }
    demo = {c.strip() for image in json.loads(DEMO_CAPTIONS.read_text()) for c in image["caption"]}
    assert len(labelled) > 1500 and not reference & labelled and not reference & demo
    assert 12_000 < len(reference) < 20_000


def test_a_rewritten_table_file_is_read_again(tmp_path):
    path = tmp_path / "t.parquet"
    table_of("A dog sits on a couch.").save(path)
    assert ("on", "sit", "couch") in table_for(str(path)).counts
    table_of("A cat lies on a bed.").save(path)
    assert ("on", "lie", "bed") in table_for(str(path)).counts


@pytest.mark.slow
def test_the_shipped_table_is_the_builders_output():
    built = RelationTable.build(reference_captions())
    assert load_table(BUNDLED_TABLE).counts == built.counts


def kept_by_label(neg_type: NegType, path: Path, good) -> dict[bool, int]:
    """Labelled rows (with their edit) the edit form would offer and the validators keep, with the bundled
    table, counted by `good(row)`."""
    table = table_for("bundled")
    rows = [r for r in map(json.loads, path.read_text().splitlines()) if r["neg_type"] == neg_type.value and r["edit"]]
    verdicts = validate_batch([(neg_type, r["caption"], r["negative"]) for r in rows], relations=table)
    kept = {True: 0, False: 0}
    for row, verdict in zip(rows, verdicts, strict=True):
        spans = candidate_spans(neg_type, row["caption"], DEFAULT_TAGGER, relations=table)
        constraint = constraint_for(neg_type, spans)
        if verdict.accepted and constraint is not None and re.fullmatch(constraint, row["edit"]):
            kept[good(row)] += 1
    return kept


@pytest.mark.parametrize(
    ("neg_type", "good_kept", "bad_kept"),
    # Over round 5's labelled rows (the rows the kinds rules were tuned on; the table's captions exclude them):
    # without a table, swap_nouns keeps 24 good and 15 bad, reshuffle 17 and 13. Round 6's table kept 21 and 13,
    # 18 and 10; round 7's rule for things (`RelationTable.unvouched`) 21 and 10, 15 and 7; round 8's narrower
    # sister nouns (neggen/edits/replacements.py), which the table reads to vouch, 18 and 8, 13 and 7; round 9's
    # kinds (`validate.kinds`: person-first things, likenesses, places shared, lists, people nothing tells apart,
    # a child holding an adult, two things worn) 15 and 6, 11 and 4; a table that also leaves out the reshuffle
    # ceiling sample's images (1,000 captions fewer to vouch) 13 and 6, 9 and 4.
    [(NegType.swap_nouns, 13, 6), (NegType.reshuffle, 9, 4)],
)
def test_the_bundled_table_refuses_the_labelled_nonsense(neg_type, good_kept, bad_kept):
    kept = kept_by_label(neg_type, ROUND5, lambda row: row["label"]["good"])
    assert kept[True] >= good_kept and kept[False] <= bad_kept, kept


@pytest.mark.parametrize(
    ("neg_type", "good_kept", "bad_kept"),
    # Round 6's rows (holdouts G and H, labelled by two annotators; good = both say so), judged again: 5 of 7
    # good swap_nouns and 7 of 9 good reshuffles kept, 12 of 56 and 7 of 79 bad ones (round 6's code: 6 and 26,
    # 9 and 25; without the table: 56 and 67 bad). With round 8's sister nouns: 4 and 11, 6 and 6; round 9's
    # kinds and table (less L's labelled images): 4 and 10, 6 and 4; less the ceiling sample's and round 10's
    # labelled images too: 4 and 10, 6 and 2.
    [(NegType.swap_nouns, 4, 10), (NegType.reshuffle, 6, 2)],
)
def test_round_6_labels_keep_the_good_exchanges_and_refuse_most_nonsense(neg_type, good_kept, bad_kept):
    kept = kept_by_label(neg_type, ROUND6, lambda row: row["label_a"]["good"] and row["label_b"]["good"])
    assert kept[True] >= good_kept and kept[False] <= bad_kept, kept


def every_annotator_says_good(row) -> bool:
    return row["label_a"]["good"] and (row["label_b"] is None or row["label_b"]["good"])  # T has one annotator


@pytest.mark.parametrize(
    ("holdout", "neg_type", "good_kept", "bad_kept"),
    # Round 7's rows, judged again without the plausibility filter (its verdict is in the field runs). Tune set T
    # (one annotator; its accepted and implausible rows, read to write the round's rules): swap_nouns keeps 23 of
    # 35 good and 45 of 146 bad, reshuffle 21 of 28 and 32 of 85 (round 6's code: 24 and 96, 28 and 85).
    # Holdout I (two annotators, good = both say so; not read while tuning): 1 and 13, 3 and 7 (2 and 23, 3 and 17).
    # Round 8's sister nouns: T 21 and 42, 19 and 28; I 1 and 12, 3 and 7. Round 9's kinds and table: T 19 and
    # 25, 17 and 14; I 1 and 7, 3 and 3. The table less the ceiling sample's images: T reshuffle 16 and 14; less
    # round 10's labelled images too: T 18 and 23, 14 and 12.
    [
        ("T", NegType.swap_nouns, 18, 23),
        ("T", NegType.reshuffle, 14, 12),
        ("I", NegType.swap_nouns, 1, 7),
        ("I", NegType.reshuffle, 3, 3),
    ],
)
def test_round_7_labels_keep_what_they_kept(tmp_path, holdout, neg_type, good_kept, bad_kept):
    rows = [r for r in map(json.loads, ROUND7.read_text().splitlines()) if r["holdout"] == holdout]
    kept = kept_by_label(neg_type, part_file(tmp_path, rows), every_annotator_says_good)
    assert kept[True] >= good_kept and kept[False] <= bad_kept, kept


def part_file(tmp_path: Path, rows: list[dict]) -> Path:
    """Some of a round's labelled rows, as a file `kept_by_label` reads."""
    part = tmp_path / "part.jsonl"
    part.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return part


@pytest.mark.parametrize(
    ("folds", "neg_type", "good_kept", "bad_kept"),
    # Round 9's holdout L (Karpathy captions, two annotators, good = both say so), judged again without the
    # plausibility filter, with the bundled table (which leaves out every labelled image). Folds 1-2 were read to
    # write the round's second commit of kinds rules, folds 3-4 never. Round 8's code keeps 35 good and 32 bad,
    # 19 and 17 (folds 1-2); 37 and 46, 29 and 30 (folds 3-4). Round 9's code with its own table kept 32 and 16 of
    # folds 1-2's swap_nouns; the table less the ceiling sample's images (some from folds 1-2) 32 and 17; less
    # round 10's labelled images too 31 and 16 (reshuffle 15 and 10; folds 3-4's swap_nouns 31 and 33).
    [
        ("12", NegType.swap_nouns, 31, 16),
        ("12", NegType.reshuffle, 15, 10),
        ("34", NegType.swap_nouns, 31, 33),
        ("34", NegType.reshuffle, 27, 24),
    ],
)
def test_round_9_labels_keep_what_they_kept(tmp_path, folds, neg_type, good_kept, bad_kept):
    rows = [json.loads(line) for line in ROUND9.read_text().splitlines()]
    rows = [r for r in rows if any(run[1] in folds for run in r["runs"] if run.startswith("L"))]
    kept = kept_by_label(neg_type, part_file(tmp_path, rows), every_annotator_says_good)
    assert kept[True] >= good_kept and kept[False] <= bad_kept, kept
