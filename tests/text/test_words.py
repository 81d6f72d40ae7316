from __future__ import annotations

from neggen.text.words import comparison_key, normalize_caption, words


def test_normalize_caption():
    assert normalize_caption("  A\tcat\u200b on\n a mat\u0007. ") == "A cat on a mat."
    assert normalize_caption("cafe\u0301") == "caf\u00e9"
    assert normalize_caption("\ufeff") == ""


def test_words_ignore_case_and_punctuation_and_split_hyphens():
    assert words("A man's T-shirt, ON a chair!") == ["a", "man's", "t", "shirt", "on", "a", "chair"]
    assert comparison_key("A  cat.") == comparison_key("a cat")
