"""Evaluators for CLIP models: SugarCrepe, ARO, VALSE, Winoground, zero-shot, retrieval (docs/evaluation.md)."""
