"""The run directory and the running of it: layout, locks, manifest, plan, shard commits, runners, status."""
