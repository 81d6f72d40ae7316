"""One caption's attempts through an engine, and the window that keeps the engine busy."""
