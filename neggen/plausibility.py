"""Plausibility: a negative must read about as naturally as the caption it was made from.

A language model scores each text by its mean token log-probability (length-aware: per token, so a longer
replacement is not punished for its length), and

    gap = score(negative) - score(caption).

Human-validated negatives (SugarCrepe) have gaps around zero: a text-only judge can hardly tell them from the
caption. Edits that break grammar or make nonsense ("A windows with two kitchen", "A train riding a bike") fall
far below. A candidate is rejected as `implausible` when its gap is below its type's threshold, the `quantile`
of the gaps of SugarCrepe's human-validated negatives of the matching kind under the same scorer
(neggen/data/sugarcrepe.json, 200 pairs a kind): quantile 0.4 keeps a negative at least as plausible as
the least plausible 40% of the human-validated ones. Reshuffle has no SugarCrepe kind; it uses swap_obj's.

A caption the scorer cannot read is rejected as `caption_unreadable`: before any engine call when fewer than
half its words are English (`unreadable_caption`), and after scoring when its score is below every calibration
caption's by `caption_margin`; a scorer that fails or returns NaN gives its
rows `unscored`. The scorer is the bundled model by default, or any causal LM named in the config.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import lemminflect

from neggen.config import CALIBRATION_PAIRS, ENGINE_SCORER, PlausibilityConfig
from neggen.edits.replacements import caption_word_counts
from neggen.models import weights_fingerprint
from neggen.run.atomic import write_json_atomic
from neggen.text.words import words
from neggen.types import NegType
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject

if TYPE_CHECKING:
    from neggen.engines.base import Engine

CALIBRATION_FILE = Path(__file__).with_name("data") / "sugarcrepe.json"
BUNDLED_CALIBRATION_FILE = Path(__file__).with_name("data") / "calibration-bundled.json"
SUGARCREPE_KIND: dict[NegType, str] = {
    NegType.swap_nouns: "swap_obj",
    NegType.swap_adjectives: "swap_att",
    NegType.replace_nouns: "replace_obj",
    NegType.replace_adjectives: "replace_att",
    NegType.reshuffle: "swap_obj",
}


class TextScorer(Protocol):
    """Mean token log-probability of each text (one float a text; NaN where it could not be scored)."""

    name: str
    fingerprint: str  # the weights and precision: a calibration is cached per scorer

    def score(self, texts: Sequence[str]) -> list[float]: ...


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (numpy's default method)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("quantile of no values")
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def read_calibration_pairs(
    path: Path = CALIBRATION_FILE, per_kind: int = CALIBRATION_PAIRS
) -> dict[str, list[tuple[str, str]]]:
    """The first `per_kind` (caption, negative) pairs of each SugarCrepe kind."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {kind: [(c, n) for c, n in pairs[:per_kind]] for kind, pairs in data["pairs"].items()}


@dataclass(frozen=True)
class Calibration:
    """What one scorer makes of SugarCrepe: per kind, the gaps' quantiles, and the floor of readable captions."""

    scorer: str
    gaps: dict[str, list[float]]
    worst_caption: float  # the lowest score of a calibration caption

    def threshold(self, neg_type: NegType, q: float) -> float:
        return quantile(self.gaps[SUGARCREPE_KIND[neg_type]], q)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        """From a shipped or cached calibration file (`dataclasses.asdict` and extra keys)."""
        return cls(data["scorer"], data["gaps"], data["worst_caption"])


def calibrate(scorer: TextScorer, pairs: dict[str, list[tuple[str, str]]]) -> Calibration:
    kinds = sorted(pairs)
    captions = [c for k in kinds for c, _ in pairs[k]]
    negatives = [n for k in kinds for _, n in pairs[k]]
    scores = scorer.score(captions + negatives)
    if any(math.isnan(s) for s in scores):
        raise ValueError(f"the plausibility scorer {scorer.name} returned NaN on SugarCrepe's calibration pairs")
    cap, neg = scores[: len(captions)], scores[len(captions) :]
    gaps: dict[str, list[float]] = {}
    start = 0
    for kind in kinds:
        end = start + len(pairs[kind])
        gaps[kind] = [n - c for c, n in zip(cap[start:end], neg[start:end], strict=True)]
        start = end
    return Calibration(scorer.name, gaps, min(cap))


@dataclass(frozen=True)
class Scores:
    """A candidate's two scores (None: not scored)."""

    caption: float | None
    negative: float | None

    @property
    def gap(self) -> float | None:
        if self.caption is None or self.negative is None:
            return None
        return self.negative - self.caption


class Plausibility:
    """A loaded scorer with its calibration: scores (caption, negative) pairs and judges their gaps."""

    def __init__(self, scorer: TextScorer, calibration: Calibration, config: PlausibilityConfig):
        self.scorer, self.calibration, self.config = scorer, calibration, config
        self.thresholds = {t: calibration.threshold(t, config.quantile) for t in NegType}
        self.caption_floor = calibration.worst_caption - config.caption_margin

    def record(self) -> dict[str, Any]:
        """What the manifest keeps: the scorer, the quantile and the threshold of every type."""
        return {
            "scorer": self.scorer.name,
            "score": "mean token log-prob",
            "calibration": f"SugarCrepe, {CALIBRATION_FILE.name}, {self.config.calibration_pairs} pairs a kind",
            "quantile": self.config.quantile,
            "caption_floor": round(self.caption_floor, 4),
            "thresholds": {t.value: round(v, 4) for t, v in self.thresholds.items()},
        }

    def score_pairs(self, pairs: Sequence[tuple[str, str]]) -> tuple[list[Scores], str | None]:
        """Scores of each (caption, negative), each distinct text scored once; on a scorer failure every
        pair is unscored and the second value says why."""
        texts = list(dict.fromkeys(t for pair in pairs for t in pair))
        try:
            values = self.scorer.score(texts)
            if len(values) != len(texts):
                raise ValueError(f"{len(values)} scores for {len(texts)} texts")
        except Exception as exc:  # the scorer is a model: any failure becomes a reason on its rows, never a crash
            return [Scores(None, None) for _ in pairs], f"{type(exc).__name__}: {str(exc)[:120]}"
        by_text = {t: (None if v is None or math.isnan(v) else float(v)) for t, v in zip(texts, values, strict=True)}
        return [Scores(by_text[c], by_text[n]) for c, n in pairs], None

    def judge(self, neg_type: NegType, scores: Scores, failure: str | None = None) -> Verdict:
        if failure is None and scores.caption is None:
            return reject(Reason.caption_unreadable, "the scorer found nothing to read in the caption")
        if scores.caption is not None and scores.caption < self.caption_floor:
            return reject(
                Reason.caption_unreadable,
                f"caption score {scores.caption:.2f} < {self.caption_floor:.2f}: the scorer cannot read it",
            )
        gap = scores.gap
        if gap is None:
            return reject(Reason.unscored, failure or "the scorer returned NaN")
        threshold = self.thresholds[neg_type]
        if gap < threshold:
            return reject(Reason.implausible, f"gap {gap:.2f} < {threshold:.2f}")
        return ACCEPT


MIN_ENGLISH_SHARE = 0.5


def unreadable_caption(caption: str) -> Verdict | None:
    """caption_unreadable when fewer than half of the caption's words are English words (known to the
    lemmatizer or common in captions): no language model scores it sensibly and no prompt is written for it."""
    tokens = [w for w in words(caption) if w.isalpha()]
    known = [w for w in tokens if w in caption_word_counts() or lemminflect.getAllLemmas(w)]
    if tokens and len(known) < MIN_ENGLISH_SHARE * len(tokens):
        return reject(Reason.caption_unreadable, f"{len(known)} of {len(tokens)} words are English words")
    return None


class ConstantScorer:
    """Every text scores 0, so calibration puts every threshold at 0 and every gap (0) passes: the filter
    is a no-op. For runs and tests that measure everything but plausibility (tests/conftest.py sets it)."""

    name = "constant"
    fingerprint = "constant"

    def score(self, texts: Sequence[str]) -> list[float]:
        return [0.0] * len(texts)


class LanguageModelScorer:
    """A causal LM from transformers (neggen.qa.likelihood), mean token log-prob."""

    def __init__(self, model: str, dtype: str, batch_size: int):
        from neggen.qa.likelihood import LikelihoodScorer

        try:
            self.lm = LikelihoodScorer(None if model == "default" else model, dtype=dtype, batch_size=batch_size)
        except (OSError, ValueError) as exc:  # a hub name not cached offline, a folder without a model
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"--set plausibility.model {model}: cannot load the scorer ({first})") from None
        self.name = "bundled SmolLM2-135M-Instruct" if model == "default" else model
        self.fingerprint = weights_fingerprint(self.lm.model_name)

    def score(self, texts: Sequence[str]) -> list[float]:
        return self.lm.score(texts, normalize=True)


def load_scorer(config: PlausibilityConfig, engine: Engine | None = None) -> TextScorer:
    if config.model == ConstantScorer.name:
        return ConstantScorer()
    if config.model == ENGINE_SCORER:
        if engine is None:
            raise ValueError(
                "plausibility.model=engine scores with the run's own engine, which this process has not loaded "
                "(the ray driver plans without one): name a scorer model, e.g. --set plausibility.model=default"
            )
        scorer = engine.text_scorer()
        if scorer is None:
            raise ValueError(
                f"plausibility.model=engine: the {engine.name} engine cannot score text; name a scorer model, "
                "e.g. --set plausibility.model=default"
            )
        return scorer
    return LanguageModelScorer(config.model, config.dtype, config.batch_size)


_LOADED: dict[tuple[str, int], Plausibility] = {}


def load_plausibility(config: PlausibilityConfig, engine: Engine | None = None) -> Plausibility | None:
    """The run's plausibility filter, calibrated on first use in this process (seconds for the bundled model;
    `neggen generate` loads a named scorer before the engine, so one that cannot load is one line), or None
    when disabled. Loaded once per process, config and (for the engine scorer) engine: the planner, the local
    runner and each Ray actor share it."""
    if not config.enabled:
        return None
    key = (config.model_dump_json(), id(engine) if config.model == ENGINE_SCORER else 0)
    if key not in _LOADED:
        scorer = load_scorer(config, engine)
        _LOADED[key] = Plausibility(scorer, cached_calibration(scorer, config), config)
    return _LOADED[key]


def bundled_calibration() -> Calibration:
    """The calibration shipped for the bundled scorer (neggen/data/calibration-bundled.json)."""
    return Calibration.from_json(json.loads(BUNDLED_CALIBRATION_FILE.read_text(encoding="utf-8")))


def shipped_calibration(scorer: TextScorer, config: PlausibilityConfig) -> Calibration | None:
    """The bundled scorer's calibration as shipped, when it applies: the bundled model at the pinned package
    version, in float32, over today's calibration file."""
    if config.model != "default" or config.dtype != "float32" or scorer.name == ConstantScorer.name:
        return None
    if config.calibration_pairs != CALIBRATION_PAIRS:
        return None
    data = json.loads(BUNDLED_CALIBRATION_FILE.read_text(encoding="utf-8"))
    package, version = data["package"].split("==")
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    if installed != version or data["calibration_sha256"] != hashlib.sha256(CALIBRATION_FILE.read_bytes()).hexdigest():
        return None
    return Calibration.from_json(data)


def cached_calibration(scorer: TextScorer, config: PlausibilityConfig) -> Calibration:
    """calibrate(), as shipped for the bundled scorer, else kept in the user cache per scorer, dtype and
    calibration file: 1,600 texts are scored once (5 minutes for the bundled model on 2 CPU cores)."""
    from neggen.models import cache_dir

    shipped = shipped_calibration(scorer, config)
    if shipped is not None:
        return shipped
    identity = json.dumps([scorer.name, scorer.fingerprint, config.dtype, config.calibration_pairs])
    digest = hashlib.sha256((identity + CALIBRATION_FILE.read_text(encoding="utf-8")).encode()).hexdigest()
    path = cache_dir() / "plausibility" / f"{digest[:16]}.json"
    if scorer.name != ConstantScorer.name and path.is_file():
        try:
            return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError):
            pass  # a damaged cache entry is recomputed and rewritten
    calibration = calibrate(scorer, read_calibration_pairs(per_kind=config.calibration_pairs))
    if scorer.name != ConstantScorer.name:
        write_json_atomic(path, dataclasses.asdict(calibration))
    return calibration
