"""A static embedding distilled from the converted e5 folder, cached inside it (`static/`).

model2vec's recipe: every vocabulary token is run alone through the transformer (`<s> token </s>`,
mean-pooled), the table is reduced by PCA, and each row is scaled by a SIF weight from the
token's Zipf rank, so frequent tokens count less. A text's vector is then the mean of its tokens'
rows: no transformer at run time. The recipe is written here because model2vec's `distill` (and
sentence-transformers' `StaticEmbedding.from_distillation`, which calls it) needs its `distill`
extra, which pins transformers<5.4 while this project runs 5.x, and offers no way to distil a
subset of the subword vocabulary. model2vec's numpy-only `StaticModel` saves, loads and runs it.

Only tokens written in the scripts of Chinese policy text (Han, ASCII, CJK and full-width
punctuation, the word-start mark) are distilled: about a third of XLM-R's 250k, so distilling
takes minutes on two cores instead of a quarter of an hour, and the table a third of the memory.
A token of another script maps to a zero row, which the mean of a text's rows then leaves out.
No text is read: the rule is the same on every machine.

``python -m models.static_distill`` (run by `make install`) prepares it and prints its folder.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np

from core.settings import Settings
from models.e5_convert import METASPACE, ensure_default_model, exclusive

PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
BATCH = 1024
# Named after the recipe: an index records it (index.embedding.embedding_identity), so vectors of
# another recipe are never mixed into it.
RECIPE = f"m2v-pca{PCA_DIMS}-sif{SIF_COEFFICIENT:g}-han-ascii"
KEPT_SCRIPTS = re.compile(
    rf"[{METASPACE}\u0020-\u007e\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
    r"\u2010-\u206f\u00b7\u00d7]+"
)


def static_folder(folder: Path) -> Path:
    return folder / "static" / RECIPE


def ensure_static_model(folder: Path) -> Path:
    """The distilled model folder inside ``folder``, distilled on first use only."""
    target = static_folder(folder)
    if target.is_dir():
        return target
    # As for the ONNX copies: one distiller at a time, and a killed run leaves only scratch.
    with exclusive(folder.parent / f".{folder.name}-static.lock"):
        if target.is_dir():
            return target
        target.parent.mkdir(exist_ok=True)
        scratch = target.with_name(f".{target.name}.partial")
        shutil.rmtree(scratch, ignore_errors=True)
        distill(folder, scratch)
        scratch.rename(target)
    return target


def kept_token_ids(tokenizer) -> list[int]:
    """Ids of the non-special tokens written only in the kept scripts, in id order."""
    specials = {token.content for token in tokenizer.get_added_tokens_decoder().values()}
    vocabulary = tokenizer.get_vocab()
    return sorted(i for t, i in vocabulary.items() if t not in specials and KEPT_SCRIPTS.fullmatch(t))


def distill(folder: Path, out: Path) -> None:
    """Write the static model of ``folder``'s transformer and tokenizer to ``out``."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    ids = kept_token_ids(tokenizer)
    rows = _reduce(_token_vectors(folder, tokenizer, ids), PCA_DIMS)
    rows *= sif_weights(np.asarray(ids), tokenizer.get_vocab_size())[:, None]
    # Row 0 is zeros, for every token not distilled; the others follow in id order.
    table = np.vstack([np.zeros((1, rows.shape[1]), np.float32), rows.astype(np.float32)])
    mapping = np.zeros(tokenizer.get_vocab_size(), dtype=np.int64)
    mapping[ids] = np.arange(1, len(ids) + 1)
    config = {"model_type": "model2vec", "apply_pca": PCA_DIMS, "sif_coefficient": SIF_COEFFICIENT, "normalize": True}
    StaticModel(table, tokenizer, config=config, normalize=True, token_mapping=mapping).save_pretrained(out)


def sif_weights(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """a / (a + p), p the token's Zipf probability from its rank: XLM-R numbers its SentencePiece
    pieces by score, so the id is the rank, as model2vec assumes."""
    probability = 1 / (ids + 2) / np.sum(1 / np.arange(2, vocab_size + 2))
    return SIF_COEFFICIENT / (SIF_COEFFICIENT + probability)


def _token_vectors(folder: Path, tokenizer, ids: list[int]) -> np.ndarray:
    """Each token alone between `<s>` and `</s>`, mean-pooled over the three, as model2vec does."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(folder).eval()
    bos, eos = bert.config.bos_token_id, bert.config.eos_token_id
    vectors = []
    with torch.inference_mode():
        for start in range(0, len(ids), BATCH):
            batch = torch.tensor([[bos, i, eos] for i in ids[start : start + BATCH]])
            vectors.append(bert(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state.mean(1))
    return torch.cat(vectors).numpy()


def _reduce(vectors: np.ndarray, dims: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA(n_components=dims, svd_solver="full").fit_transform(vectors)


def main() -> None:
    settings = Settings()
    print(ensure_static_model(ensure_default_model(settings.model_cache_dir)))


if __name__ == "__main__":
    main()
