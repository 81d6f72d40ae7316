"""Build tests/data/hard_positives.jsonl: edits of real Karpathy captions that keep the meaning.

Every row is a (caption, rewrite) pair that still describes the image, so no validator should accept it as
a negative. Four kinds:
- curated: common synonyms, spelling variants, same-lemma forms, hypernyms and number forms from a fixed
  list written without WordNet (couch -> sofa, gray -> grey, older -> old, guy -> man, 2 -> two);
- wordnet: a noun or adjective replaced by another one-word lemma of its first WordNet sense, kept only when
  the substitute is itself a common caption word (circular with the WordNet checks, hence kept apart);
- human: two human captions of the same image that differ by one short span or only in word order;
- reorder: binding-preserving reorders made from the parse: exchanged noun or adjective conjuncts
  ("a dog and a cat", "red and white"), clauses swapped around "while", the two sides of "next to".

Run from the repository root (needs spaCy's model and WordNet, as the validators do):
    python tests/data/build_hard_positives.py /path/to/coco_karpathy_test.json
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

from neggen.text.pos import default_tagger
from neggen.text.wordnet import load as load_wordnet
from neggen.text.words import changed_region, normalize_caption, words

OUT = Path(__file__).with_name("hard_positives.jsonl")
PER_KIND = 300
SEED = 0
CURATED = {
    "couch": "sofa",
    "sofa": "couch",
    "bike": "bicycle",
    "bicycle": "bike",
    "gray": "grey",
    "grey": "gray",
    "large": "big",
    "big": "large",
    "kid": "child",
    "kids": "children",
    "photo": "picture",
    "picture": "photo",
    "tv": "television",
    "television": "tv",
    "guy": "man",
    "guys": "men",
    "older": "old",
    "elderly": "old",
    "little": "small",
    "small": "little",
    "cellphone": "phone",
    "airplane": "plane",
    "plane": "airplane",
    "automobile": "car",
    "puppy": "dog",
    "kitten": "cat",
    "lady": "woman",
    "ladies": "women",
    "two": "2",
    "three": "3",
    "2": "two",
    "3": "three",
    "motorcycle": "motorbike",
    "motorbike": "motorcycle",
    "tiny": "small",
    "huge": "enormous",
    "wood": "wooden",
    "bigger": "big",
    "smaller": "small",
    "taller": "tall",
    "photograph": "photo",
    "children": "kids",
    "child": "kid",
    "doughnut": "donut",
    "donut": "doughnut",
    "hotdog": "hot dog",
    "teddy bear": "teddybear",
}
SYMMETRIC = ("next to", "beside", "near", "across from")


def sentence(text: str) -> str:
    text = text.strip().rstrip(".").strip()
    return text[:1].upper() + text[1:] + "."


def load_captions(path: Path) -> list[tuple[str, list[str]]]:
    items = json.loads(path.read_text())
    return [(item["image"], [normalize_caption(c) for c in item["caption"]]) for item in items]


def substitute(caption: str, old: str, new: str) -> str | None:
    pattern = re.compile(rf"\b{re.escape(old)}\b", re.IGNORECASE)
    if len(pattern.findall(caption)) != 1:
        return None
    return pattern.sub(new, caption)


def curated_rows(images: list[tuple[str, list[str]]], rng: random.Random) -> list[dict]:
    rows = []
    for image, caps in images:
        for caption in caps:
            for old, new in CURATED.items():
                out = substitute(caption, old, new)
                if out:
                    rows.append({"kind": "curated", "image": image, "caption": caption, "rewrite": out, "edit": old})
    rng.shuffle(rows)
    # At most 12 rows per substitution, so the common words do not crowd out the rest.
    seen: Counter = Counter()
    return [r for r in rows if (seen.update([r["edit"]]) or seen[r["edit"]] <= 12)][:PER_KIND]


def wordnet_rows(images: list[tuple[str, list[str]]], rng: random.Random) -> list[dict]:
    wn = load_wordnet()
    vocabulary = Counter(w for _, caps in images for c in caps for w in words(c))
    common = {w for w, n in vocabulary.items() if n >= 20}
    tagger = default_tagger()
    rows = []
    flat = [(image, c) for image, caps in images for c in caps]
    rng.shuffle(flat)
    for image, caption in flat[:6000]:
        for w in tagger.analyze([caption])[0]:
            pos = {"NOUN": "n", "ADJ": "a"}.get(w.pos.value)
            if pos is None or w.text != w.lemma:
                continue
            first = wn.synsets(w.lemma, pos=pos)[:1]
            names = [n for s in first for n in s.lemma_names() if "_" not in n and n.lower() != w.lemma]
            names = [n for n in names if n.lower() in common]
            out = substitute(caption, w.text, names[0]) if names else None
            if out:
                rows.append({"kind": "wordnet", "image": image, "caption": caption, "rewrite": out, "edit": w.text})
                break
        if len(rows) >= PER_KIND:
            break
    return rows


def human_rows(images: list[tuple[str, list[str]]]) -> list[dict]:
    rows = []
    for image, caps in images:
        for i, a in enumerate(caps):
            for b in caps[i + 1 :]:
                wa, wb = words(a), words(b)
                if wa == wb:
                    continue
                region = changed_region(wa, wb)
                short = max(region.cap_end - region.start, region.neg_end - region.start) <= 4
                if Counter(wa) == Counter(wb) or short:
                    rows.append({"kind": "human", "image": image, "caption": a, "rewrite": b, "edit": "pair"})
    return rows[:PER_KIND]


def _swap_chunks(caption: str, a: tuple[int, int], b: tuple[int, int]) -> str:
    (s1, e1), (s2, e2) = a, b
    caption = caption[:1].lower() + caption[1:]  # the first chunk moves inside the sentence
    return sentence(caption[:s1] + caption[s2:e2] + caption[e1:s2] + caption[s1:e1] + caption[e2:])


def reorder_rows(images: list[tuple[str, list[str]]]) -> list[dict]:
    nlp = default_tagger().nlp
    flat = [(image, c) for image, caps in images for c in caps]
    rows: dict[str, list[dict]] = {"conjunct": [], "adjectives": [], "while": [], "symmetric": []}
    for (image, caption), doc in zip(flat, nlp.pipe([c for _, c in flat], batch_size=256), strict=True):
        text = sentence(caption)
        if caption != text:
            continue  # keep the simple, well-formed ones: the rewrite must stay a caption
        chunks = list(doc.noun_chunks)
        out, edit = None, None
        m = re.match(r"^(.+?) while (.+)\.$", text)
        finite = [t.i for t in doc if t.tag_ in ("VBZ", "VBP", "VBD")]
        after = [t for t in doc if t.idx > text.find(" while ")] if m else []
        # Two full clauses ("A holds B while C watches"), not "A sits while holding B".
        if (
            m
            and " while " not in m.group(2)
            and len(finite) >= 2
            and len(after) > 1
            and after[1].pos_ in ("DET", "NUM")
        ):
            out, edit = sentence(f"{m.group(2)} while {m.group(1)[:1].lower() + m.group(1)[1:]}"), "while"
        if out is None and len(chunks) == 2 and chunks[0].start_char == 0:
            x, y = chunks
            between = doc.text[x.end_char : y.start_char].strip().lower()
            rest = doc.text[y.end_char :].strip()
            if between == "and":  # "A and B <anything>."
                out, edit = _swap_chunks(text, (x.start_char, x.end_char), (y.start_char, y.end_char)), "conjunct"
            elif rest == "." and any(re.fullmatch(rf"((is|are) )?{s}", between) for s in SYMMETRIC):
                # Only "A (is) next to B.": with a verb ("A car parked next to B") the exchange is a negative.
                out, edit = _swap_chunks(text, (x.start_char, x.end_char), (y.start_char, y.end_char)), "symmetric"
        ma = re.search(r"\b(\w+) and (\w+) (\w+)\b", text)
        if out is None and ma:
            first, second = doc.char_span(*ma.span(1)), doc.char_span(*ma.span(2))
            if first and second and first[0].pos_ == "ADJ" and second[0].pos_ == "ADJ":
                out = text[: ma.start()] + f"{ma.group(2)} and {ma.group(1)} {ma.group(3)}" + text[ma.end() :]
                out, edit = sentence(out), "adjectives"
        if out and edit and words(out) != words(text) and len(rows[edit]) < PER_KIND // 4:
            rows[edit].append({"kind": "reorder", "image": image, "caption": text, "rewrite": out, "edit": edit})
    return [r for group in rows.values() for r in group]


def main(source: str) -> None:
    rng = random.Random(SEED)
    images = load_captions(Path(source))
    rows = curated_rows(images, rng) + wordnet_rows(images, rng) + human_rows(images) + reorder_rows(images)
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(OUT, Counter(r["kind"] for r in rows), Counter(r["edit"] for r in rows if r["kind"] == "reorder"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/annotations/coco_karpathy_test.json")
