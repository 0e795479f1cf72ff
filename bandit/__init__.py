"""Retrieval-plan bandit: learns which strategies to call and how deep (lands with its issue)."""
