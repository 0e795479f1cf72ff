"""Catalog: entity model, JSONL/CSV ingestion, the entity store and a synthetic generator."""

from catalog.model import Entity, EntityType

__all__ = ["Entity", "EntityType"]
