"""The ONNX copies' caching: exported once into the model folder, int8 derived from fp32, scratch
never mistaken for a result. The exporters themselves are replaced by fakes here; the real ones
run in tests/index/test_embedding.py (e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import onnx_export
from models.onnx_export import ONNX_FILES, ensure_onnx_model


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    made: list[str] = []

    def export(folder: Path, out: Path) -> None:
        made.append("export")
        out.write_text(f"fp32 of {folder.name}")

    def quantize(fp32: Path, out: Path) -> None:
        made.append("quantize")
        out.write_text(f"int8 of {fp32.read_text()}")

    monkeypatch.setattr(onnx_export, "export_fp32", export)
    monkeypatch.setattr(onnx_export, "quantize_int8", quantize)
    return made


@pytest.fixture
def folder(tmp_path) -> Path:
    model = tmp_path / "e5"
    model.mkdir()
    return model


def test_int8_is_quantised_from_an_fp32_export_made_once(folder, calls):
    int8 = ensure_onnx_model(folder, "onnx-int8")
    assert int8 == folder / ONNX_FILES["onnx-int8"]
    assert int8.read_text() == "int8 of fp32 of e5"
    assert calls == ["export", "quantize"]
    assert ensure_onnx_model(folder, "onnx") == folder / ONNX_FILES["onnx"]
    assert ensure_onnx_model(folder, "onnx-int8") == int8
    assert calls == ["export", "quantize"]  # both cached: nothing runs again
    assert sorted(p.name for p in int8.parent.iterdir()) == sorted(Path(f).name for f in ONNX_FILES.values())


def test_an_existing_fp32_export_is_reused_for_int8(folder, calls):
    ensure_onnx_model(folder, "onnx")
    ensure_onnx_model(folder, "onnx-int8")
    assert calls == ["export", "quantize"]


def test_scratch_left_by_a_killed_export_is_replaced(folder, calls):
    partial = folder / "onnx" / f".{Path(ONNX_FILES['onnx']).name}.partial"
    partial.parent.mkdir()
    partial.write_text("half a model")
    assert ensure_onnx_model(folder, "onnx").read_text() == "fp32 of e5"
    assert calls == ["export"]
    assert not partial.exists()


def test_a_failed_export_leaves_no_model_behind(folder, monkeypatch):
    def broken(folder: Path, out: Path) -> None:
        out.write_text("truncated")
        raise RuntimeError("disk full")

    monkeypatch.setattr(onnx_export, "export_fp32", broken)
    with pytest.raises(RuntimeError):
        ensure_onnx_model(folder, "onnx")
    assert not (folder / ONNX_FILES["onnx"]).exists()
