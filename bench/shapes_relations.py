"""Where a shapes-world model stands on knowing where things are: s(image, true) > s(image, false) on a world's
evaluation scenes for caption pairs that differ only in where things are, in several surface forms, plus the
same test on the training twins (in-sample) when the world has them.

    .venv/bin/python bench/shapes_relations.py --model runs/replicate/stage1 --world data/shapes

Printed, accuracy in percent (chance 50) with the number of pairs:
  relation, training form   "a small red circle left of a large blue square" vs the arguments exchanged
  relation, ARO form        "the red circle is left of the blue square" vs exchanged (what ARO VG-R asks)
  places exchanged          "a small red circle in the top left and a large blue square in the middle centre"
                            vs the two places exchanged (needs where-captions in training: WorldConfig.p_where)
  one object, other place   "a small red circle in the top left" vs the same object elsewhere (one-object scenes)
  training twins            a twin block's two captions on the base image, and on the twin image
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from trainer.shapes.captions import COLUMNS, NP, ROWS, At, Caption, Rel, full_np, is_true, place_of  # noqa: E402
from trainer.shapes.world import Scene, true_relations  # noqa: E402

Pair = tuple[int, str, str]  # image index, true caption, false caption


def eval_pairs(scenes: list[Scene]) -> dict[str, list[Pair]]:
    names = ("relation, training form", "relation, ARO form", "places exchanged", "one object, other place")
    forms: dict[str, list[Pair]] = {name: [] for name in names}
    for k, scene in enumerate(scenes):
        rng = random.Random(k)
        if len(scene.objects) == 1:
            obj = scene.objects[0]
            here = place_of(obj, scene.size)
            elsewhere = rng.choice([f"{r} {c}" for r in ROWS for c in COLUMNS if f"{r} {c}" != here])
            true, false = Caption((At(full_np(obj), here),)), Caption((At(full_np(obj), elsewhere),))
            forms["one object, other place"].append((k, true.text(), false.text()))
            continue
        for a in scene.objects:
            for b in scene.objects:
                if a is b or not true_relations(a, b):
                    continue
                rel = rng.choice(true_relations(a, b))
                train = Rel(full_np(a), rel, full_np(b)), Rel(full_np(b), rel, full_np(a))
                aro_a, aro_b = NP(a.shape, a.colour, None, "the"), NP(b.shape, b.colour, None, "the")
                aro = Rel(aro_a, rel, aro_b, copula=True), Rel(aro_b, rel, aro_a, copula=True)
                pa, pb = place_of(a, scene.size), place_of(b, scene.size)
                places = (At(full_np(a), pa), At(full_np(b), pb)), (At(full_np(a), pb), At(full_np(b), pa))
                for name, (true, false) in (
                    ("relation, training form", (Caption((train[0],)), Caption((train[1],)))),
                    ("relation, ARO form", (Caption((aro[0],)), Caption((aro[1],)))),
                    ("places exchanged", (Caption(places[0]), Caption(places[1]))),
                ):
                    # Two objects of one kind make an exchange true too: such pairs test nothing.
                    if is_true(true, scene) and not is_true(false, scene):
                        forms[name].append((k, true.text(), false.text()))
    return forms


def accuracy(image_features: torch.Tensor, encode_texts, pairs: list[Pair]) -> float:
    index = torch.tensor([k for k, _, _ in pairs])
    true = encode_texts([t for _, t, _ in pairs])
    false = encode_texts([f for _, _, f in pairs])
    images = image_features[index]
    return float(((images * true).sum(-1) > (images * false).sum(-1)).float().mean() * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a trainer run dir (e.g. OUT/stage1)")
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--version", default="in_distribution")
    parser.add_argument("--twins", type=int, default=2000, help="training twin blocks to test (0: none)")
    args = parser.parse_args()

    from trainer.checkpoint import resolve_model_dir
    from trainer.eval.embed import ClipEncoder
    from trainer.models import load_clip
    from trainer.transforms import open_rgb

    torch.set_num_threads(1)
    model, tokenizer = load_clip(resolve_model_dir(args.model))
    encoder = ClipEncoder(model, tokenizer, batch_size=256, device="cpu")

    def unit(x: torch.Tensor) -> torch.Tensor:
        return x / x.norm(dim=-1, keepdim=True)

    def encode_texts(texts: list[str]) -> torch.Tensor:
        return unit(encoder.encode_texts(texts))

    rows = [json.loads(line) for line in (args.world / "scenes" / f"{args.version}.jsonl").open()]
    scenes = [Scene.from_dict(r["scene"]) for r in rows]
    with torch.no_grad():
        images = unit(encoder.encode_images([open_rgb(args.world / r["image_path"]) for r in rows]))
        for name, pairs in eval_pairs(scenes).items():
            print(f"{name:>26}: {accuracy(images, encode_texts, pairs):5.1f}  ({len(pairs)} pairs)")
        twins = twin_blocks(args.world, args.twins)
        if twins:
            paths = [args.world / p for block in twins for p, _ in block]
            feats = unit(encoder.encode_images([open_rgb(p) for p in paths])).view(len(twins), 2, -1)
            texts = encode_texts([c for block in twins for _, c in block]).view(len(twins), 2, -1)
            sim = torch.einsum("bid,bjd->bij", feats, texts)
            right = torch.stack([sim[:, 0, 0] > sim[:, 0, 1], sim[:, 1, 1] > sim[:, 1, 0]], dim=1)
            says_where = torch.tensor([" in the " in block[0][1] for block in twins])
            for name, mask in (("training twins, where", says_where), ("training twins, relations", ~says_where)):
                if mask.any():
                    one, both = right[mask].float().mean() * 100, right[mask].all(dim=1).float().mean() * 100
                    print(f"{name:>26}: {float(one):5.1f}  ({int(mask.sum())} blocks; both images {float(both):.1f})")


def twin_blocks(world: Path, limit: int) -> list[list[tuple[str, str]]]:
    """The first `limit` twin blocks of captions_train.jsonl: (image_path, caption) of base and twin."""
    described = json.loads((world / "world.json").read_text())
    if not described.get("config", {}).get("twins") or limit <= 0:
        return []
    rows = [json.loads(line) for line in (world / "captions_train.jsonl").open()]
    blocks = []
    for i in range(0, len(rows) - 1, 2):
        a, b = rows[i], rows[i + 1]
        # A one-object base has no twin: its block is two captions of one image, or of two unrelated scenes.
        if a["image_id"] != b["image_id"] and sorted(a["caption"].split()) == sorted(b["caption"].split()):
            blocks.append([(a["image_path"], a["caption"]), (b["image_path"], b["caption"])])
        if len(blocks) == limit:
            break
    return blocks


if __name__ == "__main__":
    main()
