"""Data QA for a run's output: stats, side-by-side samples, an HTML report, a blind text-only audit, exports."""
