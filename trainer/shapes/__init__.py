"""The shapes world: a small synthetic image-caption world where DeGLA's claims can be tested on CPUs.

Scene graphs (world.py) are rendered (render.py) and described by grammar captions kept as structure
(captions.py); oracle negatives are false edits of that structure (negatives.py), written as a neggen run
(oracle.py); the fine-tuning slice, a narrow part of the world with its own terse captions, is finetune.py;
evaluation sets are written in the real benchmarks' formats (sugarcrepe.py, benchmarks.py,
winoground.py, zeroshot.py); writers.py puts a world on disk and cli.py is `python -m trainer.shapes make`;
experiment.py and report.py are the replication (`python -m trainer.shapes replicate`).
"""
