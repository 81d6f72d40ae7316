"""Edit form through the pipeline with scripted engines: constraints sent, edits applied, failure paths."""

from __future__ import annotations

import json
import re

import polars as pl
import pyarrow as pa
import pytest

from neggen.config import GenerateConfig
from neggen.edits.replacements import attribute_alternatives, noun_alternatives
from neggen.engines.base import Request, SamplingParams
from neggen.ingest import load_captions
from neggen.run.runners import generate
from neggen.text.words import words
from neggen.types import NegType
from neggen.validate import Reason, validate
from tests.fakes import ScriptedEngine, last_user_text, reverse_words


@pytest.fixture(scope="module")
def captions(karpathy_file) -> pa.Table:
    table, _ = load_captions(karpathy_file)
    return table.slice(0, 24)


def edit_config(**overrides) -> GenerateConfig:
    """Free replacements: these tests answer a fixed new word ("zebra"); same-kind choices have their own test."""
    settings = {"replace_choices": "free", "output": "edit", **overrides}
    return GenerateConfig(chunk_size=8, engine_retries=1, sampling=SamplingParams(n=1), **settings)


def first_allowed_edit(request: Request) -> list[str]:
    """What a constrained model might answer: the regex's first alternative, with a fixed new word."""
    alternative = request.regex.strip("()").split("|")[0].replace("\\", "")  # reshuffle's phrases: "a\ dog"
    if "<->" in alternative:
        return [alternative]
    return [alternative.split(")")[0] + " -> zebra"]


def rows(out) -> tuple[pl.DataFrame, pl.DataFrame]:
    neg = pl.read_parquet(out / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rej = pl.read_parquet(out / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    return neg, rej


def test_edit_form_sends_a_regex_applies_the_answer_and_records_the_form(captions, tmp_path):
    engine = ScriptedEngine(lambda r: first_allowed_edit(r) if r.regex else reverse_words(r))
    types = [NegType.reshuffle, NegType.swap_nouns, NegType.replace_nouns]
    summary = generate(captions, tmp_path, types, 1, engine, edit_config())
    by_caption = {r["caption"]: r for r in captions.to_pylist()}
    for request in engine.requests:
        caption = last_user_text(request)
        assert request.regex is not None  # every type has an edit form, reshuffle included (issue 26)
        assert request.json_schema is None and caption in by_caption
        # The left side(s) can only be words of this caption.
        for side in re.findall(r"[a-z]+", request.regex.split(" -> ")[0].replace("<->", " ")):
            assert side in caption.lower()
    negatives, rejects = rows(tmp_path)
    # 3 swaps: counting nouns count as attributes ("a variety of items": "kitchen <-> variety" is no noun swap),
    # only things of one kind are exchanged (validate.kinds: no "man <-> moped", no "bus <-> street"), and only
    # where a relation the parse reads changes (no "table <-> utensils" of "The table is full of ... utensils").
    assert summary.accepted["replace_nouns"] >= 20 and summary.accepted["swap_nouns"] >= 3
    edits = negatives
    assert set(edits["output"]) == {"edit"} and edits["edit"].null_count() == 0
    for r in edits.iter_rows(named=True):
        assert validate(NegType(r["neg_type"]), r["caption"], r["negative"]).accepted
        assert r["negative"] != r["edit"] and ("<->" in r["edit"]) == (r["neg_type"] in ("swap_nouns", "reshuffle"))
    replaced = edits.filter(pl.col("neg_type") == "replace_nouns")
    assert all("zebra" in n.lower() for n in replaced["negative"])
    # Captions with fewer than two unique nouns cannot be swapped: rejected without an engine call.
    no_span = rejects.filter(pl.col("reason") == Reason.no_candidate_span.value)
    asked = {last_user_text(r) for r in engine.requests if "two nouns of the caption" in json.dumps(r.messages)}
    assert asked and not set(no_span.filter(pl.col("neg_type") == "swap_nouns")["caption"]) & asked
    assert all(a == 0 for a in no_span["attempt"])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["output"] == "edit"


def test_reshuffle_answers_an_exchange_of_two_noun_phrases(captions, tmp_path):
    engine = ScriptedEngine(first_allowed_edit)
    summary = generate(captions, tmp_path, [NegType.reshuffle], 1, engine, edit_config())
    asked = [r for r in engine.requests if r.regex]
    assert asked and len(asked) == len(engine.requests)
    assert all("noun phrases" in json.dumps(r.messages) and "<->" in r.regex for r in asked)
    negatives, rejects = rows(tmp_path)
    # 3: whole phrases of things of one kind only (validate.kinds), with the verb still agreeing (reorders).
    assert summary.accepted["reshuffle"] >= 3 and set(negatives["output"]) == {"edit"}
    for r in negatives.iter_rows(named=True):
        first, second = r["edit"].split(" <-> ")
        assert first in r["caption"].lower() and second in r["caption"].lower()
        assert sorted(words(r["negative"])) == sorted(words(r["caption"]))  # the same words, exchanged
        assert r["negative"][:1].isupper() == r["caption"][:1].isupper()  # "A small cat chasing a brown dog."
        assert validate(NegType.reshuffle, r["caption"], r["negative"]).accepted
    with_phrase = [r for r in negatives.iter_rows(named=True) if " " in r["edit"].split(" <-> ")[0]]
    assert with_phrase  # whole noun phrases, article and attributes included: "a brown dog <-> a small cat"
    assert set(rejects["reason"]) <= {Reason.no_candidate_span.value, Reason.same_meaning.value}


def test_bad_edits_are_content_failures_retried_then_rejected(captions, tmp_path):
    caption = "A man riding a moped on a road."
    table = pa.Table.from_pylist([{**captions.to_pylist()[0], "caption": caption}], schema=captions.schema)
    answers = iter(["A man riding a horse.", "car -> bus", "man -> man"])
    engine = ScriptedEngine(lambda r: [next(answers)])
    summary = generate(table, tmp_path, [NegType.replace_nouns], 1, engine, edit_config())
    assert summary.rejected["replace_nouns"] == 1 and engine.calls == 3
    _, rejects = rows(tmp_path)
    row = rejects.row(0, named=True)
    assert row["failed_reasons"] == ["unparseable_edit", "edit_span_not_in_caption", "copy"]
    assert row["reason"] == "copy" and row["attempt"] == 3 and row["edit"] == "man -> man"


def test_a_caption_whose_spans_all_repeat_is_rejected_without_an_engine_call(captions, tmp_path):
    table = pa.Table.from_pylist(
        [{**captions.to_pylist()[0], "caption": "A dog looks at a dog near another dog."}],
        schema=captions.schema,
    )
    engine = ScriptedEngine(first_allowed_edit)
    summary = generate(table, tmp_path, [NegType.swap_nouns], 1, engine, edit_config())
    assert summary.rejected["swap_nouns"] == 1 and engine.requests == []
    _, rejects = rows(tmp_path)
    assert rejects["reason"].to_list() == ["no_candidate_span"]
    assert "repeated" in rejects["detail"][0] and "dog" in rejects["detail"][0]


def test_json_output_applies_to_sentence_form_only(captions, tmp_path):
    # Every type has an edit form now (reshuffle since issue 26): sentence form is the output setting's.
    kinds = set()
    for output in ("edit", "sentence"):
        engine = ScriptedEngine(lambda r: first_allowed_edit(r) if r.regex else ['{"negative": "x"}'])
        config = edit_config(structured_output=True, output=output)
        generate(captions.slice(0, 4), tmp_path / output, [NegType.reshuffle, NegType.replace_nouns], 1, engine, config)
        kinds |= {(output, r.json_schema is not None, r.regex is not None) for r in engine.requests}
    assert kinds == {("sentence", True, False), ("edit", False, True)}


def test_a_request_takes_one_constraint():
    with pytest.raises(ValueError, match="one constraint"):
        Request("r", [], 0, SamplingParams(), json_schema={"type": "object"}, regex="a")


def test_garbage_answers_in_edit_form_become_reject_rows(captions, tmp_path):
    garbage = [None, 42, "", "\x00\x01\ufffd", "man -> ", "<-> <->", "word " * 500, "a -> b\nc -> d"]

    def reply(request):
        return garbage[int(request.request_id, 16) % len(garbage) :][:2] or ["", ""]

    summary = generate(
        captions, tmp_path, [NegType.replace_nouns, NegType.swap_nouns], 1, ScriptedEngine(reply), edit_config()
    )
    assert summary.accepted.total() == 0 and summary.rejected.total() == 48
    _, rejects = rows(tmp_path)
    assert set(rejects["reason"]) <= {"unparseable_edit", "edit_span_not_in_caption", "no_candidate_span", "empty"}
    assert rejects.filter(pl.col("reason") == "unparseable_edit").height > 0


def test_same_kind_choices_constrain_the_new_word_to_the_old_ones_kind(captions, tmp_path):
    """The default: the regex offers each span's own alternatives, and the kept negatives use one of them."""

    def first_choice(request: Request) -> list[str]:
        first = re.match(r"\((\w+) -> \((\w+)[|)]", request.regex)
        assert first, request.regex
        return [f"{first[1]} -> {first[2]}"]

    engine = ScriptedEngine(first_choice)
    config = edit_config(replace_choices="same_kind")
    summary = generate(captions, tmp_path, [NegType.replace_nouns, NegType.replace_adjectives], 1, engine, config)
    assert summary.accepted["replace_nouns"] >= 10 and summary.accepted["replace_adjectives"] >= 5
    assert all("{" not in r.regex and "[a-z]" not in r.regex for r in engine.requests)  # no free words offered
    negatives, _ = rows(tmp_path)
    for r in negatives.iter_rows(named=True):
        old, new = r["edit"].split(" -> ")
        kind = NegType(r["neg_type"])
        offered = noun_alternatives(old) if kind == NegType.replace_nouns else attribute_alternatives(old)
        assert new in offered, r["edit"]
