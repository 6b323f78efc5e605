"""The e5 folder's model on ONNX Runtime, as a LangChain ``Embeddings``.

Written here because sentence-transformers' ``backend="onnx"`` needs optimum-onnx, which pins
transformers<4.58 (see models/onnx_export.py). It does what the folder's modules.json asks of
sentence-transformers: its tokenizer, the transformer, mean pooling over real tokens, L2 norm.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from langchain_core.embeddings import Embeddings
from tokenizers import Tokenizer


class OnnxEmbeddings(Embeddings):
    def __init__(
        self,
        model_file: Path,
        folder: Path,
        query_prefix: str,
        passage_prefix: str,
        batch_size: int,
        threads: int,
        max_tokens: int | None = None,  # None: the model's 512
    ) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = _tokenizer(folder, max_tokens)
        self._prefixes = {"query": query_prefix, "passage": passage_prefix}
        self._batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode([self._prefixes["passage"] + t for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([self._prefixes["query"] + text])[0].tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text; longest texts first, as sentence-transformers batches, so
        each batch pads to similar lengths."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.empty((len(texts), self._width()), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            vectors[rows] = self._encode_batch([texts[i] for i in rows])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64), "attention_mask": mask}
        (hidden,) = self._session.run(None, feed)
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _width(self) -> int:
        return self._session.get_outputs()[0].shape[-1]


def _tokenizer(folder: Path, max_tokens: int | None) -> Tokenizer:
    """The folder's fast tokenizer set up as transformers' AutoTokenizer called with ``truncation=True,
    padding=True`` sets it up (the same token ids), without transformers: its import loads torch (~250 MB)."""
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens or config["model_max_length"])
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(config["pad_token"]), pad_token=config["pad_token"])
    return tokenizer
