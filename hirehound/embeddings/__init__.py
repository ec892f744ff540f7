"""Text embeddings behind one small interface, chosen by settings.

- `wordllama` (default): 256-dim static word embeddings whose weights ship inside the PyPI
  wheel, so it needs no download (about 4 ms per long posting on one core).
- `hashing`: feature-hashed word n-grams; no model at all, for tests and tiny machines.
- `openai`: any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, TEI...).

Every embedder returns float32 rows with unit L2 norm, so cosine distance is 1 - dot.
"""

from __future__ import annotations

from hirehound.embeddings._providers import (
    Embedder,
    HashingEmbedder,
    OpenAIEmbedder,
    WordLlamaEmbedder,
    get_embedder,
)

__all__ = ["Embedder", "HashingEmbedder", "OpenAIEmbedder", "WordLlamaEmbedder", "get_embedder"]
