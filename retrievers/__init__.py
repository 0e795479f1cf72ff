"""Candidate generators behind one small interface (:mod:`retrievers.base`)."""
