from __future__ import annotations

from pathlib import Path

import pytest

from index.text.script import to_simplified

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLES = sorted(ARTICLES.glob("*.txt"))


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("黨建引領基層治理", "党建引领基层治理"),
        ("東莞東城街道", "东莞东城街道"),
        ("頭髮", "头发"),  # phrase-level: 髮 and 發 both become 发
        ("瞭解後來", "了解后来"),
        ("『引號』", "『引号』"),
    ],
)
def test_traditional_becomes_simplified(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


@pytest.mark.parametrize("text", ["", "ABC 123, 4.5%", "“三个强化”：促进治理效能新提升。\n第二行"])
def test_simplified_ascii_and_punctuation_pass_through(text: str) -> None:
    assert to_simplified(text) == text


@pytest.mark.parametrize("sample", [path for path in SAMPLES if not path.name.startswith("001")], ids=lambda p: p.name[:3])
def test_simplified_articles_are_unchanged(sample: Path) -> None:
    text = sample.read_text(encoding="utf-8")
    assert to_simplified(text) == text


def test_traditional_article_is_converted() -> None:
    text = SAMPLES[1].read_text(encoding="utf-8")
    simplified = to_simplified(text)
    assert "黨" in text and "黨" not in simplified
    assert "中国东莞东城街道栏目" in simplified
