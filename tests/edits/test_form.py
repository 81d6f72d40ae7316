"""The edit form: candidate spans and their regex, parsing and applying edits, derived in-context examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neggen.edits.apply import Edit, EditRejected, apply_edit, article_for, parse_edit
from neggen.edits.examples import derive_edit
from neggen.edits.form import (
    EDIT_TYPES,
    MAX_SWAP_SPANS,
    candidate_spans,
    constraint_for,
    edit_regex,
    form_for,
    no_span_detail,
)
from neggen.ingest import load_captions
from neggen.prompts import PromptBuilder, load_prompt
from neggen.text.pos import DEFAULT_TAGGER
from neggen.text.words import words
from neggen.types import NegType
from neggen.validate import Reason, validate, validate_batch

CAPTION = "A man riding a moped on a road."
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "coco_karpathy_test_sample.json"


def test_spans_are_the_words_the_checks_take_for_the_types_spans():
    spans = candidate_spans(NegType.replace_nouns, CAPTION, DEFAULT_TAGGER)
    assert spans.candidates == ["man", "moped", "road"] and spans.repeated == []
    red = "A red car next to a blue truck with two doors."
    assert candidate_spans(NegType.swap_adjectives, red, DEFAULT_TAGGER).candidates == ["red", "blue", "two"]
    # A noun modifying a noun is an attribute to the checks, so it is an adjective span, not a noun span.
    bike = "A dirt bike sitting on a counter by some wine bottles."
    assert candidate_spans(NegType.replace_nouns, bike, DEFAULT_TAGGER).candidates == ["bike", "counter", "bottles"]
    assert {"dirt", "wine"} <= set(candidate_spans(NegType.replace_adjectives, bike, DEFAULT_TAGGER).candidates)


@pytest.mark.parametrize(
    ("neg_type", "caption", "kept_pair"),
    [
        (NegType.swap_adjectives, "A large white dog sits on a bench.", None),  # two attributes of one noun
        (NegType.swap_adjectives, "The bathroom is clean and ready to be used.", None),  # conjoined predicates
        (NegType.swap_adjectives, "A red car next to a blue truck.", ("red", "blue")),
        (NegType.swap_nouns, "A dog and a cat chasing a rabbit.", ("dog", "rabbit")),  # dog <-> cat is left out
        (NegType.swap_nouns, "The woman stands next to the horse.", None),  # a symmetric relation
        (NegType.swap_adjectives, "A dirt bike on a large road.", None),  # a noun modifier and an adjective
        (NegType.swap_adjectives, "A dirt bike on a stone road.", ("dirt", "stone")),
        # Colours however tagged: "silver" here is a noun modifier, "orange" an adjective.
        (NegType.swap_adjectives, "An orange cat sitting behind a silver vehicle.", ("orange", "silver")),
    ],
)
def test_swaps_offer_only_pairs_whose_exchange_changes_a_binding(neg_type, caption, kept_pair):
    spans = candidate_spans(neg_type, caption, DEFAULT_TAGGER)
    regex = constraint_for(neg_type, spans)
    if kept_pair is None:
        assert len(spans.candidates) == 2 and regex is None
        assert "no pair whose exchange changes the scene" in no_span_detail(neg_type, spans)
        return
    assert re.fullmatch(regex, " <-> ".join(kept_pair)) and re.fullmatch(regex, " <-> ".join(kept_pair[::-1]))
    assert not re.fullmatch(regex, "dog <-> cat")


def test_pairs_are_filtered_before_the_cap():
    kite = "A red, blue, green, yellow, pink, purple, orange and black kite near a white car."
    spans = candidate_spans(NegType.swap_adjectives, kite, DEFAULT_TAGGER)
    assert len(spans.candidates) == 9  # eight colours of the kite and the car's white
    regex = constraint_for(NegType.swap_adjectives, spans)
    assert regex and re.fullmatch(regex, "red <-> white") and not re.fullmatch(regex, "red <-> blue")


@pytest.mark.parametrize(
    ("caption", "left_out"),
    [
        ("A man in a red t-shirt on a king-size bed.", {"t", "king", "size"}),  # pieces of hyphenated words
        ("A ten-year-old boy with a dog.", {"ten", "year", "old"}),
        ("A jalapeño pizza and a fork on a café table.", {"jalapeño", "café"}),  # an answer is plain ASCII
        ("A ＤＯＧ on a couch.", {"dog"}),  # NFKC makes it "dog", but the caption does not spell it so
    ],
)
def test_spans_an_answer_cannot_name_or_apply_are_left_out(caption, left_out):
    offered = {c for t in EDIT_TYPES for c in candidate_spans(t, caption, DEFAULT_TAGGER).candidates}
    assert offered and not offered & left_out, offered


def test_every_offered_span_has_the_shape_the_checks_accept():
    """Apply every swap the constraint allows: no part-of-speech reject, and none keeps every binding by
    construction (attributes of one noun, conjuncts, a symmetric relation). A swap's shape is judged on the
    caption's parse alone; a replacement's also on its new word's, so only swaps are certain here."""
    for caption in load_captions(SAMPLE)[0].column("caption").to_pylist()[:40]:
        for neg_type in (NegType.swap_nouns, NegType.swap_adjectives):
            spans = candidate_spans(neg_type, caption, DEFAULT_TAGGER)
            for answer in [f"{a} <-> {b}" for a, b in spans.pairs]:
                try:
                    negative = apply_edit(caption, parse_edit(answer, neg_type), neg_type)
                except EditRejected:
                    continue
                verdict = validate(neg_type, caption, negative)
                assert verdict.reason != Reason.wrong_part_of_speech, (caption, answer, verdict)
                assert "every binding kept (" not in verdict.detail or "conjuncts or" in verdict.detail, (
                    caption,
                    answer,
                    verdict,
                )


def test_repeated_words_are_not_candidates_and_an_all_repeated_caption_has_no_constraint():
    caption = "A dog chasing a dog near a tree."
    spans = candidate_spans(NegType.replace_nouns, caption, DEFAULT_TAGGER)
    assert spans.candidates == ["tree"] and spans.repeated == ["dog"]
    only_repeats = candidate_spans(NegType.replace_nouns, "A dog and a dog.", DEFAULT_TAGGER)
    assert only_repeats.candidates == [] and constraint_for(NegType.replace_nouns, only_repeats) is None
    # A swap needs two different spans: one is not enough.
    assert constraint_for(NegType.swap_nouns, spans) is None
    assert constraint_for(NegType.replace_nouns, spans) is not None


def test_replace_regex_allows_one_to_three_lowercase_words_after_a_caption_span():
    regex = re.compile(edit_regex(NegType.replace_nouns, ["man", "moped", "road"]))
    for ok in ["man -> woman", "moped -> fire truck", "road -> a b c", "road -> " + "x" * 15]:
        assert regex.fullmatch(ok), ok
    for bad in ["car -> bus", "man -> a b c d", "man -> Woman", "man->woman", "man -> " + "x" * 16, "man <-> road"]:
        assert not regex.fullmatch(bad), bad
    assert not re.fullmatch(edit_regex(NegType.replace_nouns, ["a.b"]), "axb -> c")  # spans are escaped


def test_swap_regex_names_two_different_caption_spans():
    regex = re.compile(edit_regex(NegType.swap_nouns, ["man", "moped", "road"]))
    assert regex.fullmatch("man <-> road") and regex.fullmatch("road <-> man")
    for bad in ["man <-> man", "man <-> car", "man -> road", "man <-> road <-> moped"]:
        assert not regex.fullmatch(bad), bad
    many = [f"w{i}" for i in range(MAX_SWAP_SPANS + 1)]
    limited = re.compile(edit_regex(NegType.swap_nouns, many))
    assert limited.fullmatch(f"w0 <-> w{MAX_SWAP_SPANS - 1}") and not limited.fullmatch(f"w0 <-> w{MAX_SWAP_SPANS}")


def test_form_for_gives_every_edit_type_its_edit_form():
    assert form_for(NegType.reshuffle, "edit") == "edit"  # issue 26: reshuffle names two noun phrases
    assert all(form_for(t, "edit") == "edit" and form_for(t, "sentence") == "sentence" for t in EDIT_TYPES)


@pytest.mark.parametrize(
    ("caption", "answer", "neg_type", "expected"),
    [
        (CAPTION, "moped -> elephant", NegType.replace_nouns, "A man riding an elephant on a road."),
        ("An apple on a table.", "apple -> pear", NegType.replace_nouns, "A pear on a table."),
        ("Apples on a table.", "apples -> pear", NegType.replace_nouns, "Pears on a table."),  # number, case
        ("A dog near the men.", "men -> woman", NegType.replace_nouns, "A dog near the women."),
        ("Two cats on a bed.", "bed -> chairs", NegType.replace_nouns, "Two cats on a chair."),
        ("A red car.", "red -> orange", NegType.replace_adjectives, "An orange car."),
        ("An old man.", "old -> young", NegType.replace_adjectives, "A young man."),
        ("A RED car.", "red -> blue", NegType.replace_adjectives, "A BLUE car."),
        ("A man on a road.", "road -> hot dog", NegType.replace_nouns, "A man on a hot dog."),
        ("A dog and an owl sit.", "dog <-> owl", NegType.swap_nouns, "An owl and a dog sit."),
        # A swapped noun takes the number of its new slot, so articles, numbers and verbs keep agreeing; a/an
        # agrees with the word now after it; case follows the position.
        ("Dogs chase a cat.", "cat <-> dogs", NegType.swap_nouns, "Cats chase a dog."),
        ("A man holds umbrellas.", "man <-> umbrellas", NegType.swap_nouns, "An umbrella holds men."),
        ("A kitchen with two windows", "kitchen <-> windows", NegType.swap_nouns, "A window with two kitchens"),
        (
            "The table is full of wooden spoons and utensils.",
            "table <-> utensils",
            NegType.swap_nouns,
            "The utensil is full of wooden spoons and tables.",
        ),
        ("A man near some people.", "man <-> people", NegType.swap_nouns, "A person near some men."),
        # After "of" either number reads: plurals and stuff keep theirs, a single thing follows the slot.
        (
            "A plate of cookies next to a cup of coffee.",
            "cookies <-> coffee",
            NegType.swap_nouns,
            "A plate of coffee next to a cup of cookies.",
        ),
        (
            "A plate of cookies next to a cup.",
            "cookies <-> cup",
            NegType.swap_nouns,
            "A plate of cups next to a cookie.",
        ),
        # A phrase's number is its head's, before "of".
        (
            "Vases of flowers beside a piano.",
            "vases of flowers <-> piano",
            NegType.swap_nouns,
            "Pianos beside a vase of flowers.",
        ),
        ("A red car and a blue bus.", "blue <-> red", NegType.swap_adjectives, "A blue car and a red bus."),
        # Attributes move as they are; only the a/an before them follows.
        ("An old car next to red buses.", "old <-> red", NegType.swap_adjectives, "A red car next to old buses."),
    ],
)
def test_apply_edit(caption, answer, neg_type, expected):
    assert apply_edit(caption, parse_edit(answer, neg_type), neg_type) == expected


def test_applied_swaps_and_replaces_pass_the_validators():
    cases = [
        ("A dog chases an owl on a branch.", "dog <-> owl", NegType.swap_nouns),
        ("A red car parked near a blue bus.", "red <-> blue", NegType.swap_adjectives),
        ("A man holds umbrellas in the rain.", "man <-> umbrellas", NegType.swap_nouns),  # one article only
        ("A kitchen with two windows.", "kitchen <-> windows", NegType.swap_nouns),  # number follows the slot
        ("The table is full of wooden spoons and utensils.", "table <-> utensils", NegType.swap_nouns),
        ("An old car parked next to red buses.", "old <-> red", NegType.swap_adjectives),  # a/an follows
        ("A plate of cookies next to a cup.", "cookies <-> cup", NegType.swap_nouns),  # "of" takes either number
        ("A plate of cookies next to the honey.", "cookies <-> honey", NegType.swap_nouns),  # "a plate of honey"
        ("A red car parked near a bus.", "red -> orange", NegType.replace_adjectives),
        ("Two dogs playing with a ball.", "dogs -> cat", NegType.replace_nouns),
    ]
    for caption, answer, neg_type in cases:
        negative = apply_edit(caption, parse_edit(answer, neg_type), neg_type)
        assert validate(neg_type, caption, negative).accepted, (caption, negative)


def test_first_occurrence_is_edited():
    assert apply_edit("A cat and a cat toy.", Edit("replace", "cat", "dog"), NegType.replace_nouns) == (
        "A dog and a cat toy."
    )


@pytest.mark.parametrize(
    ("answer", "neg_type", "reason"),
    [
        ("A man riding an elephant on a road.", NegType.replace_nouns, Reason.unparseable_edit),
        ("man <-> road", NegType.replace_nouns, Reason.unparseable_edit),  # a swap arrow for a replace
        ("man -> road", NegType.swap_nouns, Reason.unparseable_edit),
        ('man -> "woman"', NegType.replace_nouns, Reason.unparseable_edit),
        ("man ->", NegType.replace_nouns, Reason.unparseable_edit),
        ("", NegType.replace_nouns, Reason.unparseable_edit),
        ("car -> bus", NegType.replace_nouns, Reason.edit_span_not_in_caption),
        ("man <-> car", NegType.swap_nouns, Reason.edit_span_not_in_caption),
        ("man <-> man", NegType.swap_nouns, Reason.edit_span_not_in_caption),  # one man: no second span
    ],
)
def test_bad_edits_are_rejected_with_a_reason(answer, neg_type, reason):
    with pytest.raises(EditRejected) as caught:
        apply_edit(CAPTION, parse_edit(answer, neg_type), neg_type)
    assert caught.value.reason == reason and caught.value.detail


def test_an_edit_that_changes_nothing_is_a_copy():
    negative = apply_edit(CAPTION, parse_edit("man -> man", NegType.replace_nouns), NegType.replace_nouns)
    assert validate(NegType.replace_nouns, CAPTION, negative).reason == Reason.copy


def test_article_for():
    assert [article_for(w) for w in ["apple", "hour", "unicorn", "umbrella", "car", "8", "one", "elephant"]] == [
        "an",
        "an",
        "a",
        "an",
        "a",
        "an",
        "a",
        "an",
    ]


@pytest.mark.parametrize("neg_type", sorted(EDIT_TYPES))
def test_every_derived_edit_reapplies_to_its_pairs_negative(neg_type):
    spec = load_prompt(neg_type)
    derived = 0
    for pair in spec.examples:
        edit = derive_edit(neg_type, pair.original, pair.negative)
        if edit is None:
            continue
        derived += 1
        assert words(apply_edit(pair.original, edit, neg_type)) == words(pair.negative), pair
    # Of 50: only pairs that change a noun's number (meatballs -> shrimp) have none; most curated reshuffles
    # move more than two phrases, 16 are one exchange.
    assert derived >= (15 if neg_type == NegType.reshuffle else 40)


def test_edit_prompts_use_derived_edits_in_fixed_sets():
    spec = load_prompt(NegType.replace_nouns)
    builder = PromptBuilder(spec, output="edit")
    first = builder.render("c1", CAPTION)
    assert builder.render("c1", CAPTION) == first  # fixed per caption id: the same prefix every time
    assert len({builder.render(f"c{i}", CAPTION).prompt_sha for i in range(40)}) == builder.num_sets
    answers = [m["content"] for m in first.messages if m["role"] == "assistant"]
    assert len(answers) == 5 and all(re.fullmatch(r"[a-z ]+ -> [a-z ]+", a) for a in answers)
    assert first.messages[-1] == {"role": "user", "content": CAPTION}
    by_id = {ex.id: ex for ex in spec.examples}
    for example_id, answer in zip(first.example_ids, answers, strict=True):
        pair = by_id[example_id]
        applied = apply_edit(pair.original, parse_edit(answer, NegType.replace_nouns), NegType.replace_nouns)
        assert words(applied) == words(pair.negative)
    sentence = PromptBuilder(spec).render("c1", CAPTION)
    assert sentence.prompt_sha != first.prompt_sha and "->" not in str(sentence.messages)
    paper = PromptBuilder(spec, layout="paper", output="edit").render("c1", CAPTION).messages
    assert len(paper) == 1 and "Edit: " in paper[0]["content"] and paper[0]["content"].endswith(CAPTION)


def test_reshuffle_spans_are_whole_noun_phrases_whose_exchange_changes_a_binding():
    caption = "A brown dog chasing a small cat."
    spans = candidate_spans(NegType.reshuffle, caption, DEFAULT_TAGGER)
    assert spans.candidates == ["a brown dog", "a small cat"] and spans.pairs == [("a brown dog", "a small cat")]
    regex = re.compile(constraint_for(NegType.reshuffle, spans))
    assert regex.fullmatch("a brown dog <-> a small cat")
    for bad in ["a small cat <-> a small cat", "brown dog <-> small cat", "a brown dog -> a small cat", "dog <-> cat"]:
        assert not regex.fullmatch(bad), bad
    negative = apply_edit(caption, parse_edit("a brown dog <-> a small cat", NegType.reshuffle), NegType.reshuffle)
    assert negative == "A small cat chasing a brown dog."
    assert validate(NegType.reshuffle, caption, negative).accepted
    # No number agreement (that is swap_nouns'): the phrases move as they are.
    two = "A lion watching two zebras drinking from a pond."
    moved = apply_edit(two, parse_edit("a lion <-> two zebras", NegType.reshuffle), NegType.reshuffle)
    assert moved == "Two zebras watching a lion drinking from a pond."
    with pytest.raises(EditRejected):
        parse_edit("a brown dog -> a small cat", NegType.reshuffle)


@pytest.mark.parametrize(
    ("caption", "left_out", "offered"),
    [
        ("A dog and a cat chasing a rabbit.", ("a dog", "a cat"), ("a dog", "a rabbit")),  # conjuncts keep the scene
        ("A woman standing next to a horse.", ("a woman", "a horse"), None),  # a symmetric relation
        # "a dog" is also the start of "a dog bed": apply_edit would exchange the wrong words.
        ("A cat on a dog bed chasing a dog past a rabbit.", ("a cat", "a dog"), ("a cat", "a rabbit")),
        (
            "A man in a red t-shirt chasing a woman.",
            ("a red t shirt", "a woman"),
            ("a man", "a woman"),
        ),  # "t" of "t-shirt"
    ],
)
def test_reshuffle_leaves_out_exchanges_that_keep_the_scene_or_cannot_be_named(caption, left_out, offered):
    spans = candidate_spans(NegType.reshuffle, caption, DEFAULT_TAGGER)
    assert left_out not in spans.pairs and (offered is None or offered in spans.pairs), spans
    if not spans.pairs:
        assert constraint_for(NegType.reshuffle, spans) is None
        assert no_span_detail(NegType.reshuffle, spans).startswith("needs two noun phrases whose exchange changes")


def test_reshuffle_regex_keeps_at_most_max_swap_pairs():
    phrases = [f"the w{i:02}" for i in range(2 * MAX_SWAP_SPANS)]
    pairs = [(a, b) for a in phrases for b in phrases if a < b]
    regex = edit_regex(NegType.reshuffle, phrases, pairs)
    assert regex.count("<->") == MAX_SWAP_SPANS * (MAX_SWAP_SPANS - 1) < len(pairs)


def test_reshuffle_examples_are_phrase_exchanges_the_constraint_allows():
    builder = PromptBuilder(load_prompt(NegType.reshuffle), output="edit")
    assert len(builder.answers) >= 10
    assert "a black cat <-> a brown dog" in builder.answers.values()  # multi-word spans are kept
    by_id = {ex.id: ex for ex in builder.spec.examples}
    for i, answer in builder.answers.items():
        pair = by_id[i]
        spans = candidate_spans(NegType.reshuffle, pair.original, DEFAULT_TAGGER)
        assert re.fullmatch(constraint_for(NegType.reshuffle, spans), answer), answer
        applied = apply_edit(pair.original, parse_edit(answer, NegType.reshuffle), NegType.reshuffle)
        assert words(applied) == words(pair.negative)
    first = builder.render("c1", CAPTION).messages
    assert "noun phrases" in first[0]["content"] and " <-> " in first[2]["content"]


def test_arbitrary_answers_never_crash():
    import random

    from neggen.edits.apply import negative_from_answer

    rng = random.Random(0)
    alphabet = "ab man road Moped -<>.'\"9\n\t\u00e9\ufffd"
    for _ in range(2000):
        answer = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        for neg_type in EDIT_TYPES:
            try:
                assert isinstance(negative_from_answer(neg_type, CAPTION, answer), str)
            except EditRejected as exc:
                assert exc.reason in (Reason.unparseable_edit, Reason.edit_span_not_in_caption)


@pytest.mark.parametrize(
    ("caption", "neg_type", "left_out", "offered"),
    [
        # Compound nouns are one thing: neither the head nor the modifier is a noun or an attribute span.
        ("A red trolley car driving down a parking lot.", NegType.swap_nouns, {"car", "lot", "trolley"}, set()),
        ("A red trolley car driving down a parking lot.", NegType.replace_adjectives, {"trolley", "parking"}, {"red"}),
        ("A cat sitting on a fire hydrant near a bench.", NegType.replace_nouns, {"hydrant", "fire"}, {"cat", "bench"}),
        # An attribute word modifying a noun leaves the noun a thing: "a *metal* chair", "a *cheese* pizza".
        ("A metal chair next to a cheese pizza.", NegType.swap_nouns, set(), {"chair", "pizza"}),
        ("A metal chair next to a cheese pizza.", NegType.replace_adjectives, set(), {"metal", "cheese"}),
        # Parts, places, the picture, kinds, pieces and collectives name no thing of the scene.
        ("A bus parked in front of a building.", NegType.swap_nouns, {"front"}, {"bus", "building"}),
        ("A boat on the side of a body of water.", NegType.replace_nouns, {"side", "body"}, {"boat", "water"}),
        ("A close up of a pizza on a plate.", NegType.replace_nouns, {"close", "up"}, {"pizza", "plate"}),
        ("A picture of a dog in the background.", NegType.replace_nouns, {"picture", "background"}, {"dog"}),
        ("A piece of cake in a grassy area.", NegType.replace_nouns, {"piece", "area"}, {"cake"}),
        ("A herd of cows next to a couple of dogs.", NegType.swap_nouns, {"herd", "couple"}, {"cows", "dogs"}),
        ("Two swans swimming next to each other on a lake.", NegType.swap_nouns, {"other"}, {"swans", "lake"}),
        ("A fire hydrant pouring water with a neon blue glow to it.", NegType.swap_nouns, {"blue"}, {"water"}),
        # A noun the lemmatizer's corpus also lists as an adjective is still no attribute word.
        ("A house cat taking a bite from a banana.", NegType.replace_nouns, {"cat", "house"}, {"banana"}),
        # "a single of zebras" is no caption: a counting noun is no attribute span either.
        ("A group of zebras standing in a green field.", NegType.replace_adjectives, {"group"}, {"green"}),
        ("A bunch of red bananas next to a set of blue cups.", NegType.swap_adjectives, {"bunch", "set"}, {"red"}),
    ],
)
def test_compounds_and_words_that_name_no_thing_are_not_candidates(caption, neg_type, left_out, offered):
    candidates = set(candidate_spans(neg_type, caption, DEFAULT_TAGGER).candidates)
    assert not candidates & left_out and offered <= candidates, candidates


def test_swap_pairs_leave_out_stuff_moved_where_a_plural_is_marked():
    spans = candidate_spans(NegType.swap_nouns, "Two ducks swimming on the water behind a swan.", DEFAULT_TAGGER)
    assert ("ducks", "swan") in spans.pairs and not {("ducks", "water"), ("water", "ducks")} & set(spans.pairs)


def test_swap_pairs_leave_out_compound_parts():
    """The pair that made "A red parking car driving down a trolley lot." is not offered any more."""
    caption = "A red trolley car driving down a parking lot."
    for neg_type in (NegType.swap_nouns, NegType.swap_adjectives):
        spans = candidate_spans(neg_type, caption, DEFAULT_TAGGER)
        assert constraint_for(neg_type, spans) is None, spans


def test_the_unit_of_a_measure_phrase_is_no_candidate():
    caption = "A man with a 10 year old son."
    assert candidate_spans(NegType.replace_adjectives, caption, DEFAULT_TAGGER).candidates == ["10", "old"]
    assert candidate_spans(NegType.replace_nouns, caption, DEFAULT_TAGGER).candidates == ["man", "son"]


@pytest.mark.parametrize(
    ("neg_type", "caption", "left_out", "offered"),
    [
        # Labelled rows annotators threw away: a thing and the food on it, a person and an object, a vehicle and
        # the street it is on; a cat and a woman stay.
        (NegType.swap_nouns, "A pizza sits on a plate with one piece taken out of it.", ("pizza", "plate"), None),
        (NegType.swap_nouns, "A man holding a bag next to a dog.", ("man", "bag"), ("man", "dog")),
        (NegType.swap_nouns, "A woman is looking at a cat on a bike.", ("bike", "woman"), ("woman", "cat")),
        (NegType.reshuffle, "A white bus driving past a tall building.", ("a white bus", "a tall building"), None),
        (NegType.reshuffle, "A woman is looking at a cat on a bike.", ("a cat", "a bike"), ("a woman", "a cat")),
        # "Two people is lying down at the feet of the dog."
        (NegType.reshuffle, "The dog is lying down at the feet of two people.", ("the dog", "two people"), None),
    ],
)
def test_exchanges_offer_only_things_of_one_kind_that_keep_agreement(neg_type, caption, left_out, offered):
    spans = candidate_spans(neg_type, caption, DEFAULT_TAGGER)
    assert set(left_out) <= set(spans.candidates), spans  # a span of its own, only the pair is left out
    assert left_out not in spans.pairs and left_out[::-1] not in spans.pairs, spans
    assert offered is None or offered in spans.pairs, spans


def test_swap_nouns_examples_teach_only_exchanges_the_constraint_allows():
    """The curated "A girl sitting on a suitcase" is no example in edit form: its caption's constraint refuses
    "girl <-> suitcase" (a person and an object), so the model is never shown an exchange it cannot give."""
    builder = PromptBuilder(load_prompt(NegType.swap_nouns), output="edit")
    by_id = {ex.id: ex for ex in builder.spec.examples}
    assert len(builder.answers) >= 10 and "girl <-> suitcase" not in builder.answers.values()
    for i, answer in builder.answers.items():
        spans = candidate_spans(NegType.swap_nouns, by_id[i].original, DEFAULT_TAGGER)
        assert re.fullmatch(constraint_for(NegType.swap_nouns, spans), answer), answer


def test_a_possessive_moves_only_with_another():
    caption = "A woman with blonde hair sleeping with her cat next to her."
    # "Her cat with blonde hair sleeping with a woman next to her"; "A cat ... sleeping with her woman".
    assert candidate_spans(NegType.reshuffle, caption, DEFAULT_TAGGER).pairs == []
    assert candidate_spans(NegType.swap_nouns, caption, DEFAULT_TAGGER).pairs == []
    girl = "A little girl lays with her thumb in her mouth holding her toy."
    assert ("her thumb", "her toy") in candidate_spans(NegType.reshuffle, girl, DEFAULT_TAGGER).pairs
    assert ("thumb", "toy") in candidate_spans(NegType.swap_nouns, girl, DEFAULT_TAGGER).pairs


@pytest.mark.parametrize(
    ("caption", "neg_type", "left_out"),
    [
        # Two of one noun, told apart by attributes: swapping those is swap_adjectives' edit.
        ("A red bus driving in front of a white bus.", NegType.reshuffle, ("a red bus", "a white bus")),
        # A list the parse reads no relation of: the same things either way.
        ("a mirror a tub and a sink and some towels", NegType.swap_nouns, ("tub", "towels")),
        # A phrase without its article, moved beside phrases with one: "while small child prepares".
        (
            "Small child stands in front of a bathroom sink while a woman prepares a toothbrush.",
            NegType.reshuffle,
            ("small child", "a woman"),
        ),
        # A baseball bat is a thing, not an animal to exchange with a dog: "a bat carrying a dog".
        ("A dog carrying a bat walks across the field.", NegType.swap_nouns, ("dog", "bat")),
    ],
)
def test_exchanges_change_a_relation_the_parse_reads_and_keep_their_articles(caption, neg_type, left_out):
    assert left_out not in candidate_spans(neg_type, caption, DEFAULT_TAGGER).pairs
    chase = "A dog chasing a cat on a lawn."
    offered = ("a dog", "a cat") if neg_type == NegType.reshuffle else ("dog", "cat")
    assert offered in candidate_spans(neg_type, chase, DEFAULT_TAGGER).pairs


@pytest.mark.parametrize(
    ("name", "holdout", "good_kept", "bad_kept"),
    # Two annotators, good = both say so. Round 7's holdout J (fresh captions): without the dimension rule the
    # form offers, and the validators keep, 64 good swap_adjectives rows and 71 bad; with it 63 and 9; with the
    # rule for attributes listed together (`_listed`) 63 and 8. Its holdout I: 7 and 7, then 7 and 6. Round 8's
    # holdout K: 64 and 13, then 64 and 10. Round 10's rows of holdout L's folds 3-4 (every swap_adjectives row
    # of runs before and after the rules for colours however tagged and attributes listed together, and every
    # one the final run refused as implausible; judged here without the plausibility filter): 133 and 93, then
    # 141 and 86, then with colour words read in context ("orange juice" is no colour) 140 and 85.
    [
        ("round7.jsonl", "J", 63, 8),
        ("round7.jsonl", "I", 7, 6),
        ("round8.jsonl", "K", 64, 10),
        ("round10.jsonl", "L", 140, 85),
    ],
)
def test_the_constraint_offers_the_good_attribute_swaps_and_few_bad(name, holdout, good_kept, bad_kept):
    import json

    rows = [json.loads(line) for line in ROUND5.with_name(name).read_text().splitlines()]
    rows = [r for r in rows if r["holdout"] == holdout and r["neg_type"] == "swap_adjectives" and r["edit"]]
    verdicts = validate_batch([(NegType.swap_adjectives, r["caption"], r["negative"]) for r in rows])
    kept = {True: 0, False: 0}
    for row, verdict in zip(rows, verdicts, strict=True):
        spans = candidate_spans(NegType.swap_adjectives, row["caption"], DEFAULT_TAGGER)
        constraint = constraint_for(NegType.swap_adjectives, spans)
        if verdict.accepted and constraint is not None and re.fullmatch(constraint, row["edit"]):
            kept[row["label_a"]["good"] and row["label_b"]["good"]] += 1
    assert kept[True] >= good_kept and kept[False] <= bad_kept, kept


def test_attributes_swap_only_within_one_dimension():
    hydrant = "A yellow fire hydrant with a small guard bar around it."  # may be small and yellow after the swap
    assert candidate_spans(NegType.swap_adjectives, hydrant, DEFAULT_TAGGER).pairs == []
    pen = "A black pen is laying on top of a red pair of scissors."
    assert ("black", "red") in candidate_spans(NegType.swap_adjectives, pen, DEFAULT_TAGGER).pairs


@pytest.mark.parametrize(
    ("caption", "pairs"),
    [
        # One thing's attributes listed side by side, however the parser ties them: exchanged, the same.
        ("A black, grey and white duck on grass area by water.", []),
        ("Red and Green Peppers on Veggie Tray with carrots and beans", []),
        ("A building with red brick wall and grey and gold clock tower.", [("red", "grey"), ("red", "gold")]),
        # Two numbers count two things; a number or a noun between starts another thing.
        ("Three adult and two child skiers posing on a slope.", [("three", "two")]),
        ("Two white and one black dog playing in the park.", [("two", "one"), ("white", "black")]),
        ("White sand and blue water on a beach.", [("white", "blue")]),
        # A colour word that is something else before a noun is no colour there.
        ("A glass of orange juice next to a silver spoon.", []),
        ("A navy officer standing beside a white car.", []),
    ],
)
def test_attributes_listed_together_are_not_exchanged(caption, pairs):
    offered = candidate_spans(NegType.swap_adjectives, caption, DEFAULT_TAGGER).pairs
    assert {frozenset(p) for p in offered} == {frozenset(p) for p in pairs}


def test_a_list_of_things_is_not_reordered_unless_a_count_moves():
    """ "A pineapple, a steak, and a banana sit on a cutting board" lists the same things (the parser ties the
    list with an apposition); "two lamps a laptop" counts other things than "two laptops a lamp"."""
    steak = "A steak, a pineapple, and a banana sit on a cutting board."
    assert candidate_spans(NegType.reshuffle, steak, DEFAULT_TAGGER).pairs == []
    assert candidate_spans(NegType.swap_nouns, steak, DEFAULT_TAGGER).pairs == []
    laptops = "two laptops a lamp and telephone on a table"
    assert ("laptops", "lamp") in candidate_spans(NegType.swap_nouns, laptops, DEFAULT_TAGGER).pairs


ROUND5 = Path(__file__).resolve().parents[1] / "data" / "quality" / "round5.jsonl"


@pytest.mark.parametrize(
    ("neg_type", "good_offered", "bad_offered"),
    # Measured over both runs of round 5's six holdouts (rows the rules were tuned on, so these are floors and
    # ceilings against regressions, not a held-out precision): swap_nouns offers 21 of 38 good exchanges and 13
    # of 129 bad ones; reshuffle 15 of 36 good and 10 of 153 bad (22 and 22 before round 6's whole phrases, 19
    # and 16 before round 7's changed relations and bare phrases, 24 and 15, 17 and 13 before round 9's kinds).
    [(NegType.swap_nouns, 21, 13), (NegType.reshuffle, 15, 10)],
)
def test_the_constraint_offers_the_labelled_good_exchanges_and_refuses_the_bad(neg_type, good_offered, bad_offered):
    import json

    rows = [r for r in map(json.loads, ROUND5.read_text().splitlines()) if r["neg_type"] == neg_type.value]
    offered = {True: 0, False: 0}
    for row in rows:
        constraint = constraint_for(neg_type, candidate_spans(neg_type, row["caption"], DEFAULT_TAGGER))
        if constraint is not None and row["edit"] and re.fullmatch(constraint, row["edit"]):
            offered[row["label"]["good"]] += 1
    assert offered[True] >= good_offered and offered[False] <= bad_offered, offered


@pytest.mark.parametrize(
    ("caption", "span", "offered", "refused"),
    [
        # Nothing counts the noun: only stuff reads in its place ("a slice of cake" would need "cakes").
        ("A slice of bread on a plate.", "bread", {"rice"}, {"cake"}),
        ("Sheep eating some cheese in a field.", "cheese", {"meat"}, {"cake"}),
        # A determiner or a possessive counts it: a thing reads there.
        ("The bread is on a plate.", "bread", {"rice", "cake"}, set()),
        ("A man's bread on a plate.", "bread", {"rice", "cake"}, set()),
        # A plural the lemmatizer knows only as a verb would be given a singular: "some blender".
        ("A man works with some pans in a kitchen.", "pans", set(), None),
    ],
)
def test_a_replace_keeps_the_number_its_slot_reads(caption, span, offered, refused):
    alternatives = candidate_spans(NegType.replace_nouns, caption, DEFAULT_TAGGER, "same_kind").alternatives
    if refused is None:
        assert span not in alternatives
    else:
        assert offered <= set(alternatives[span]) and not refused & set(alternatives[span])


@pytest.mark.slow
def test_the_constraint_offers_the_labelled_good_noun_replacements_and_few_bad():
    """replace_nouns rows labelled in rounds 1-4 (rows.jsonl) and on round 7's holdout I (good = every label
    says so). Round 7's table offers, and the validators keep, 86 good and 90 bad of the first and 34 good and
    25 bad of the second; without the alternatives that may still be true of the photo and the categories'
    members, 71 and 34, 27 and 8 (docs/negatives.md, round 8)."""
    import json

    rows = []
    for name in ("rows.jsonl", "round7.jsonl"):
        for line in ROUND5.with_name(name).read_text().splitlines():
            row = json.loads(line)
            if row["neg_type"] == "replace_nouns" and row["edit"] and not row.get("source", "").startswith("sugar"):
                labels = [row[k] for k in ("label", "label_a", "label_b") if row.get(k)]
                rows.append((name, row, all(label["good"] for label in labels)))
    verdicts = validate_batch([(NegType.replace_nouns, row["caption"], row["negative"]) for _, row, _ in rows])
    kept = {(name, good): 0 for name in ("rows.jsonl", "round7.jsonl") for good in (True, False)}
    for (name, row, good), verdict in zip(rows, verdicts, strict=True):
        spans = candidate_spans(NegType.replace_nouns, row["caption"], DEFAULT_TAGGER, "same_kind")
        constraint = constraint_for(NegType.replace_nouns, spans)
        if verdict.accepted and constraint is not None and re.fullmatch(constraint, row["edit"]):
            kept[(name, good)] += 1
    assert kept[("rows.jsonl", True)] >= 71 and kept[("rows.jsonl", False)] <= 34, kept
    assert kept[("round7.jsonl", True)] >= 27 and kept[("round7.jsonl", False)] <= 8, kept


def test_the_constraint_offers_holdout_ks_good_noun_replacements_and_fewer_bad():
    """Round 8's holdout K (SugarCrepe captions no earlier set used, two annotators; good = both say so), read
    only after the rules above were written: of its 165 labelled replace_nouns rows (127 good), round 7's table
    offers and the validators keep 123 good and 36 bad, round 8's 117 and 26."""
    import json

    rows = [json.loads(line) for line in ROUND5.with_name("round8.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["neg_type"] == "replace_nouns" and r["edit"]]
    verdicts = validate_batch([(NegType.replace_nouns, r["caption"], r["negative"]) for r in rows])
    kept = {True: 0, False: 0}
    for row, verdict in zip(rows, verdicts, strict=True):
        constraint = constraint_for(
            NegType.replace_nouns, candidate_spans(NegType.replace_nouns, row["caption"], DEFAULT_TAGGER, "same_kind")
        )
        if verdict.accepted and constraint is not None and re.fullmatch(constraint, row["edit"]):
            kept[row["label_a"]["good"] and row["label_b"]["good"]] += 1
    assert kept[True] >= 117 and kept[False] <= 26, kept
