"""The inference app has no database models: it is model access only (engines, backends,
embeddings, the OpenAI-compatible server) and imports no other app of the project.

Chunk and KnowledgeBaseState, which lived here, moved to knowledge/models.py; the state-only
migration inference/0002 hands their tables over. This module stays so the app's history (its
migrations) has a home and nobody re-adds domain models here by accident.
"""
