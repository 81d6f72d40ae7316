"""DeGLA fine-tuning and evaluation of CLIP on neggen output (see the trainer issue)."""
