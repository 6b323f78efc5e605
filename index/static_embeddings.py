"""The static model distilled from e5 (models/static_distill.py) as a LangChain ``Embeddings``.

A text's vector is the mean of its tokens' rows, looked up with no transformer: thousands of
chunks a second on one core. The rows are of bare tokens, so e5's `query: `/`passage: ` prompts,
which would add the same rows to every text, are not prepended.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from model2vec import StaticModel


class StaticEmbeddings(Embeddings):
    def __init__(self, folder: Path) -> None:
        self._model = StaticModel.from_pretrained(folder)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text. A text with no distilled token (empty, or all in other
        scripts) gets a fixed unit vector: Chroma's cosine space cannot take a zero one."""
        vectors = self._model.encode(texts, use_multiprocessing=False).astype(np.float32)
        vectors[np.linalg.norm(vectors, axis=1) == 0, 0] = 1.0
        return vectors
