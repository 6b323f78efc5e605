"""ONNX copies of the converted e5 folder, exported locally and cached inside it (`onnx/`).

fp32 is the folder's weights traced by torch.onnx; int8 quantises that file's weights per channel
with onnxruntime's dynamic quantisation, the AVX-512-VNNI recipe of sentence-transformers'
`export_dynamic_quantized_onnx_model`. That function (and `backend="onnx"`) needs optimum-onnx,
whose releases pin transformers<4.58 while this project runs 5.x, so the two library calls it
wraps are made here directly.

``python -m models.onnx_export`` (run by `make install`) prepares both and prints the int8 path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel

from core.settings import Settings
from models.e5_convert import ensure_default_model, exclusive

OnnxBackend = Literal["onnx", "onnx-int8"]
ONNX_FILES: dict[str, str] = {"onnx": "onnx/model.onnx", "onnx-int8": "onnx/model_qint8_avx512_vnni.onnx"}
OPSET = 17
TRACE_IDS = [[0, 6, 7, 2], [0, 6, 2, 1]]  # two rows, one padded: batch and length become dynamic axes


def onnx_file(folder: Path, backend: OnnxBackend) -> Path:
    return folder / ONNX_FILES[backend]


def ensure_onnx_model(folder: Path, backend: OnnxBackend) -> Path:
    """The ONNX file of ``backend`` inside ``folder``, exported (and quantised) on first use only."""
    target = onnx_file(folder, backend)
    if target.is_file():
        return target
    # As for the fp32 folder: one exporter at a time, and a killed run leaves only scratch.
    with exclusive(folder.parent / f".{folder.name}-onnx.lock"):
        if target.is_file():
            return target
        target.parent.mkdir(exist_ok=True)
        scratch = target.with_name(f".{target.name}.partial")
        if backend == "onnx":
            export_fp32(folder, scratch)
        else:
            quantize_int8(ensure_onnx_model(folder, "onnx"), scratch)
        scratch.rename(target)
    return target


def export_fp32(folder: Path, out: Path) -> None:
    """Trace the folder's BertModel to ``out``: token ids and mask in, last hidden states out."""
    # Eager attention traces into plain MatMul/Softmax, which ONNX Runtime fuses into its Attention op.
    bert = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    ids = torch.tensor(TRACE_IDS)
    mask = (ids != bert.config.pad_token_id).long()
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            _HiddenStates(bert),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=OPSET,
            dynamo=False,  # the dynamo exporter needs onnxscript; the TorchScript one handles BERT as is
        )


def quantize_int8(fp32: Path, out: Path) -> None:
    """int8 weights (symmetric, per channel), uint8 activations scaled at run time; no calibration data."""
    quantize_dynamic(fp32, out, weight_type=QuantType.QInt8, per_channel=True, reduce_range=False)


class _HiddenStates(torch.nn.Module):
    """BertModel.forward takes more positional arguments than a trace passes; this names the two it gets."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def main() -> None:
    settings = Settings()
    print(ensure_onnx_model(ensure_default_model(settings.model_cache_dir), "onnx-int8"))


if __name__ == "__main__":
    main()
