"""Structured captions, their text, their truth against a scene graph, and the training-caption grammar.

A caption is kept as structure (clauses over noun phrases) next to its text, so truth is decided on the
structure, never by parsing text back. Semantics: a noun phrase describes an object when every attribute it
names matches; "A rel B" is true when two distinct objects described by A and B stand in that relation;
"there is no A" when no object fits A; "there are n circles" when exactly n objects are circles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from trainer.shapes.world import Heldout, Obj, Scene, canonical_triple, holds, true_relations

PREFIXES = ("", "there is", "a picture of", "an image of")
# Where an object is, by the thirds of the image its centre falls in (on the default 3 x 3 grid, its cell).
ROWS = ("top", "middle", "bottom")
COLUMNS = ("left", "centre", "right")
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True)
class NP:
    shape: str
    colour: str | None = None
    size: str | None = None
    det: str = "a"

    def text(self) -> str:
        return " ".join(w for w in (self.det, self.size, self.colour, self.shape) if w)

    def describes(self, obj: Obj) -> bool:
        return self.shape == obj.shape and self.colour in (None, obj.colour) and self.size in (None, obj.size)


def full_np(obj: Obj, det: str = "a") -> NP:
    return NP(obj.shape, obj.colour, obj.size, det)


def plural(shape: str) -> str:
    return shape + ("es" if shape.endswith(("s", "x")) else "s")


@dataclass(frozen=True)
class Exists:
    np: NP

    def text(self) -> str:
        return self.np.text()

    def nps(self) -> tuple[NP, ...]:
        return (self.np,)

    def with_nps(self, nps: tuple[NP, ...]) -> Exists:
        return Exists(nps[0])

    def true_in(self, scene: Scene) -> bool:
        return any(self.np.describes(o) for o in scene.objects)


@dataclass(frozen=True)
class Rel:
    a: NP
    rel: str
    b: NP
    copula: bool = False  # "a red circle is left of a blue square"

    def text(self) -> str:
        return f"{self.a.text()} {'is ' if self.copula else ''}{self.rel} {self.b.text()}"

    def nps(self) -> tuple[NP, ...]:
        return (self.a, self.b)

    def with_nps(self, nps: tuple[NP, ...]) -> Rel:
        return replace(self, a=nps[0], b=nps[1])

    def true_in(self, scene: Scene) -> bool:
        return any(
            a is not b and self.a.describes(a) and self.b.describes(b) and holds(self.rel, a, b)
            for a in scene.objects
            for b in scene.objects
        )


@dataclass(frozen=True)
class Absent:
    np: NP  # its det is ignored: "there is no red circle"

    def text(self) -> str:
        return "there is no " + replace(self.np, det="").text().strip()

    def nps(self) -> tuple[NP, ...]:
        return (self.np,)

    def with_nps(self, nps: tuple[NP, ...]) -> Absent:
        return Absent(nps[0])

    def true_in(self, scene: Scene) -> bool:
        return not any(self.np.describes(o) for o in scene.objects)


@dataclass(frozen=True)
class Count:
    shape: str
    n: int

    def text(self) -> str:
        if self.n == 1:
            return f"there is one {self.shape}"
        return f"there are {NUMBERS.get(self.n, str(self.n))} {plural(self.shape)}"

    def nps(self) -> tuple[NP, ...]:
        return ()

    def with_nps(self, nps: tuple[NP, ...]) -> Count:
        return self

    def true_in(self, scene: Scene) -> bool:
        return sum(o.shape == self.shape for o in scene.objects) == self.n


def place_of(obj: Obj, image_size: int) -> str:
    """ "top left" ... "bottom right": the third of the image, each way, that the object's centre is in."""
    row, col = (min(2, max(0, int(3 * v / image_size))) for v in (obj.y, obj.x))
    return f"{ROWS[row]} {COLUMNS[col]}"


@dataclass(frozen=True)
class At:
    """ "a red circle in the top left": binds what an object is to where it is, the step relations build on."""

    np: NP
    place: str

    def text(self) -> str:
        return f"{self.np.text()} in the {self.place}"

    def nps(self) -> tuple[NP, ...]:
        return (self.np,)

    def with_nps(self, nps: tuple[NP, ...]) -> At:
        return At(nps[0], self.place)

    def true_in(self, scene: Scene) -> bool:
        return any(self.np.describes(o) and place_of(o, scene.size) == self.place for o in scene.objects)


Clause = Exists | Rel | Absent | Count | At
_KINDS: dict[str, type] = {"exists": Exists, "rel": Rel, "absent": Absent, "count": Count, "at": At}


@dataclass(frozen=True)
class Caption:
    clauses: tuple[Clause, ...]
    prefix: str = ""

    def text(self) -> str:
        parts = [c.text() for c in self.clauses]
        body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{self.prefix} {body}" if self.prefix else body

    def nps(self) -> list[NP]:
        return [np for c in self.clauses for np in c.nps()]

    def with_nps(self, nps: list[NP]) -> Caption:
        """The same caption with its noun phrases (in `nps()` order) replaced."""
        out, i = [], 0
        for clause in self.clauses:
            k = len(clause.nps())
            out.append(clause.with_nps(tuple(nps[i : i + k])))
            i += k
        return replace(self, clauses=tuple(out))

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "clauses": [_clause_dict(c) for c in self.clauses]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Caption:
        return cls(tuple(_clause_from(c) for c in data["clauses"]), data.get("prefix", ""))


def _clause_dict(clause: Clause) -> dict[str, Any]:
    kind = next(k for k, t in _KINDS.items() if isinstance(clause, t))
    out: dict[str, Any] = {"kind": kind}
    for name, value in vars(clause).items():
        out[name] = vars(value) if isinstance(value, NP) else value
    return out


def _clause_from(data: dict[str, Any]) -> Clause:
    fields = {k: NP(**v) if isinstance(v, dict) else v for k, v in data.items() if k != "kind"}
    return _KINDS[data["kind"]](**fields)


def exchange_nps(caption: Caption, a: Obj, b: Obj) -> Caption:
    """The caption with the full noun phrases of objects a and b exchanged: with every object fully named (as
    training captions name them), it is true of the scene with a and b exchanged exactly when the caption is
    true of the scene itself."""

    def other(np: NP) -> NP:
        if np == full_np(a, np.det):
            return full_np(b, np.det)
        if np == full_np(b, np.det):
            return full_np(a, np.det)
        return np

    return caption.with_nps([other(np) for np in caption.nps()])


def is_true(caption: Caption, scene: Scene) -> bool:
    """Every clause holds in the scene."""
    return all(c.true_in(scene) for c in caption.clauses)


def mentions_heldout(caption: Caption, heldout: Heldout) -> bool:
    """Names a held-out (colour, shape) pair or relates shapes in a held-out triple."""
    if any(np.colour and (np.colour, np.shape) in heldout.pairs for np in caption.nps()):
        return True
    return any(
        isinstance(c, Rel) and canonical_triple(c.a.shape, c.rel, c.b.shape) in heldout.triples for c in caption.clauses
    )


def relation_clause(rng: random.Random, a: Obj, b: Obj, b_det: str = "a", copula: bool = False) -> Rel:
    """A true relation from a to b (objects in distinct cells always have one)."""
    return Rel(full_np(a), rng.choice(true_relations(a, b)), full_np(b, b_det), copula=copula)


def sample_caption(scene: Scene, rng: random.Random, p_incomplete: float = 0.0, p_where: float = 0.0) -> Caption:
    """One training caption: every object (unless the incomplete switch drops one) with colour and size, in a
    random mention order, in one of several surface forms; relations may be said either way round. With chance
    p_where the caption says where each object is instead ("a red circle in the top left and ...")."""
    objs = list(scene.objects)
    rng.shuffle(objs)
    if len(objs) > 1 and rng.random() < p_incomplete:
        objs.pop()
    if p_where and rng.random() < p_where:  # no draw at 0, so worlds built before p_where stay as they were
        return Caption(tuple(At(full_np(o), place_of(o, scene.size)) for o in objs), rng.choice(PREFIXES))
    n = len(objs)
    if n == 1:
        return Caption((Exists(full_np(objs[0])),), rng.choice(PREFIXES))
    forms = ["list", "rel"] if n == 2 else ["list", "rel+exists", "rel+rel"]
    form = rng.choice(forms)
    if form == "list":
        return Caption(tuple(Exists(full_np(o)) for o in objs), rng.choice(PREFIXES))
    # "a red circle is left of ..." reads only without a prefix ("there is a red circle left of ...").
    prefix = rng.choice(PREFIXES)
    copula = not prefix and rng.random() < 0.5
    first = relation_clause(rng, objs[0], objs[1], copula=copula)
    if n == 2:
        return Caption((first,), prefix)
    if form == "rel+exists":
        return Caption((first, Exists(full_np(objs[2]))), prefix)
    # "a red circle left of a blue square and a green star above the blue square"
    second = relation_clause(rng, objs[2], rng.choice(objs[:2]), b_det="the", copula=copula)
    return Caption((first, second), prefix)


def sample_captions(
    scene: Scene, rng: random.Random, k: int, p_incomplete: float = 0.0, p_where: float = 0.0
) -> list[Caption]:
    """Up to k captions with distinct texts (fewer when the scene allows fewer)."""
    out: dict[str, Caption] = {}
    for _ in range(20 * k):
        caption = sample_caption(scene, rng, p_incomplete, p_where)
        out.setdefault(caption.text(), caption)
        if len(out) == k:
            break
    return list(out.values())
