"""Shipped gold files for `rag eval` (JSONL) and the CI floors, installed as `rag.gold`."""
