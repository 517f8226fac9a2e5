"""Invariants: pure functions over parsed responses. No HTTP here: each returns findings (data/findings.py)
with evidence."""
