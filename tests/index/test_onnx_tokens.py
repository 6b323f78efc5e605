"""The ONNX backends tokenize with the `tokenizers` library directly: the same token ids as
transformers' AutoTokenizer (so the same vectors), without loading torch in the serving process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.onnx_embeddings import _tokenizer
from models.e5_convert import ensure_default_model

pytestmark = pytest.mark.e2e

TEXTS = [
    "query: 东城街道今年投入多少资金？",
    "passage: 《关于印发〈东莞市农村生活污水处理设施改造方案〉的通知》东府办〔2023〕12号。" * 20,  # past 512 tokens
    "passage: ",
    "passage: 全角ＡＢＣ１２３ and  double  spaces\t\ttabs\n新行　全角空格 ",
    "query: Ünïcödé ﬁ ①②③ émoji 🎉👍🏽 Привет <s> </s> <pad> <mask>",
]


@pytest.mark.parametrize("cut", [None, 16])
def test_token_ids_equal_autotokenizers(cache_dir, cut):
    from transformers import AutoTokenizer

    folder = ensure_default_model(cache_dir)
    expected = AutoTokenizer.from_pretrained(folder)(TEXTS, padding=True, truncation=True, max_length=cut)
    found = _tokenizer(folder, cut).encode_batch(TEXTS)
    assert [e.ids for e in found] == expected["input_ids"]
    assert [e.attention_mask for e in found] == expected["attention_mask"]
    assert len(found[1].ids) == (cut or 512)


def test_an_onnx_embedding_process_never_imports_torch(cache_dir, tmp_path):
    script = (
        "import sys; from pathlib import Path; from core.settings import Settings;"
        "from index.embedding import build_embeddings;"
        f"e = build_embeddings(Settings(data_dir=Path({str(tmp_path)!r}), model_cache_dir=Path({str(cache_dir)!r}),"
        " embedding_backend='onnx-int8'));"
        "print(len(e.embed_query('东城街道')), 'torch' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["384", "False"]
