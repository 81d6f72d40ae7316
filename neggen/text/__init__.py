"""Language tools: words, the spaCy tagger and its process pool, WordNet."""
