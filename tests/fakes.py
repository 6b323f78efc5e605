"""Test doubles shared by several test folders."""

from __future__ import annotations

import hashlib
import math
import unicodedata

from langchain_core.embeddings import Embeddings

DIMENSIONS = 256


class HashEmbeddings(Embeddings):
    """Character uni- and bigrams hashed into a vector: fast, deterministic and lexical, so tests can predict nearest neighbours."""

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    def _embed(self, text: str) -> list[float]:
        chars = [c for c in text if _counts(c)]
        grams = chars + [a + b for a, b in zip(chars, chars[1:])]
        vector = [0.0] * self.dimensions
        for gram in grams:
            # hashlib, not hash(): Python salts str hashes per process.
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            vector[int.from_bytes(digest, "big") % self.dimensions] += 1.0
        norm = math.sqrt(sum(x * x for x in vector))
        # An empty text gets a fixed unit vector: Chroma's cosine space cannot take a zero one.
        return [x / norm for x in vector] if norm else [1.0] + [0.0] * (self.dimensions - 1)


def _counts(char: str) -> bool:
    """Letters and digits count; whitespace and punctuation do not."""
    return unicodedata.category(char)[0] in "LN"
