"""Scans made in the tests: known Chinese text of a red-header document rendered with a CJK
font at a chosen resolution, turned slightly and speckled like a worn copy, as images and as
an image-only PDF (Pillow's PDF writer embeds the images and no text layer)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

A4_INCHES = (8.27, 11.69)


@dataclass(frozen=True)
class ScanPage:
    """What one page says: header lines (centred) over indented paragraphs, a signature
    (right-aligned) under them, and a page number in the footer, which OCR must drop."""

    number: int
    header: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = ()
    signature: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Everything meant to be read, in reading order, without spaces: what OCR should give."""
        return "".join((*self.header, *self.paragraphs, *self.signature))


NOTICE = (
    ScanPage(
        1,
        header=("东莞市人民政府办公室文件", "东府办〔2023〕12号", "关于加强城中村治理工作的通知"),
        paragraphs=(
            "各镇人民政府（街道办事处），市府直属各单位：",
            "为进一步加强城中村治理，推动基层治理体系和治理能力现代化，经市人民政府同意，现将有关事项通知如下。",
            "一、各镇街要在二〇二三年底前完成辖区内出租屋登记工作，登记率不低于百分之九十五。",
            "二、各村（社区）应当建立网格员队伍，每个网格配备专职网格员一名，负责信息采集和矛盾排查。",
        ),
    ),
    ScanPage(
        2,
        paragraphs=(
            "三、横沥镇农村生活污水处理设施改造专项资金为3600万元，由市镇两级财政按六比四分担。",
            "四、各单位要于每季度末向市城中村治理办公室报送工作进展情况。",
        ),
        signature=("东莞市人民政府办公室", "二〇二三年三月十五日"),
    ),
)


def cjk_font() -> Path | None:
    """A font with Chinese glyphs, as fontconfig finds one; None when none is installed."""
    if shutil.which("fc-list") is None:
        return None
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    return Path(files[0]) if files else None


def render(page: ScanPage, font_path: Path, dpi: int = 200, rotation: float = 0.0, noise: float = 0.0) -> Image.Image:
    """One A4 page at ``dpi``; ``noise`` is the spread of grey noise (0-255) added, with speckles."""
    width, height = (round(side * dpi) for side in A4_INCHES)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    points = lambda size: round(size / 72 * dpi)  # noqa: E731
    body, big = ImageFont.truetype(str(font_path), points(16)), ImageFont.truetype(str(font_path), points(22))
    margin, pitch = round(1.1 * dpi), round(points(16) * 1.8)
    y = round(1.2 * dpi)
    for i, line in enumerate(page.header):
        draw.text((width / 2, y), line, font=big if i != 1 else body, fill=0, anchor="mt")
        y += round(pitch * 1.5)
    for paragraph in page.paragraphs:
        for i, line in enumerate(_wrap(draw, paragraph, body, width - 2 * margin - 2 * points(16))):
            draw.text((margin + (2 * points(16) if i == 0 else 0), y), line, font=body, fill=0)
            y += pitch
    y += pitch
    for line in page.signature:
        draw.text((width - margin - 2 * points(16), y), line, font=body, fill=0, anchor="ra")
        y += pitch
    draw.text((width / 2, height - round(0.8 * dpi)), f"— {page.number} —", font=body, fill=0, anchor="mt")
    if rotation:
        image = image.rotate(rotation, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return _speckled(image, noise) if noise else image


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, current = [], ""
    for char in text:
        if current and draw.textlength(current + char, font=font) > width:
            lines.append(current)
            current = char
        else:
            current += char
    return [*lines, current]


def _speckled(image: Image.Image, noise: float) -> Image.Image:
    rng = np.random.default_rng(14)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, noise, (image.height, image.width))
    dots = rng.random(pixels.shape)
    pixels[dots < 0.002] = 0
    pixels[dots > 0.998] = 255
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_pdf(images: list[Image.Image], path: Path, dpi: int = 200) -> Path:
    """An image-only PDF, one page per image."""
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def char_accuracy(read: str, truth: str) -> float:
    """1 - edit distance / length of the truth, both without whitespace."""
    from rapidfuzz.distance import Levenshtein

    read, truth = "".join(read.split()), "".join(truth.split())
    return 1 - Levenshtein.distance(read, truth) / len(truth)
