"""Evaluators for CLIP models: SugarCrepe, ARO, VALSE, zero-shot classification, retrieval (see README)."""
