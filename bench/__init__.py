"""Relevance evaluation: retrieval sets through the real pipeline, beside two peer systems."""
