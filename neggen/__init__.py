"""neggen: validated hard-negative captions for compositional CLIP training."""

__version__ = "0.1.0"
