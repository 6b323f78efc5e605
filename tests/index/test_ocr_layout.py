"""Reading order, paragraphs and page furniture of OCR boxes, made by hand: no OCR model runs."""

from __future__ import annotations

import math

from index.ocr.engine import TextBox
from index.ocr.layout import Scan, lay_out

HEIGHT = 2000.0
LINE = 40.0  # box height; lines sit 70 apart


def box(text: str, x0: float, y0: float, x1: float, confidence: float = 0.99, slant: float = 0.0) -> TextBox:
    """A line's box from its top-left corner to its right end, turned by ``slant`` degrees about the origin."""
    corners = [(x0, y0), (x1, y0), (x1, y0 + LINE), (x0, y0 + LINE)]
    turn = math.radians(slant)
    return TextBox(
        text, confidence, tuple((x * math.cos(turn) - y * math.sin(turn), x * math.sin(turn) + y * math.cos(turn)) for x, y in corners)
    )


def texts(page) -> list[str]:
    return page.text.split("\n")


def test_two_columns_under_a_title_read_column_by_column():
    boxes = [
        box("标题横跨两栏", 300, 200, 1300),
        box("左栏第一行", 100, 300, 750),
        box("右栏第一行", 850, 300, 1500),
        box("左栏第二行", 100, 370, 750),
        box("右栏第二行", 850, 370, 1500),
    ]
    (page,) = lay_out([Scan(1, boxes[::-1], HEIGHT)])  # the order boxes come in does not matter
    assert [line.text for line in page.lines] == ["标题横跨两栏", "左栏第一行", "左栏第二行", "右栏第一行", "右栏第二行"]


def test_paragraphs_start_at_an_indent_or_after_a_short_line_and_join_without_spaces():
    boxes = [
        box("第一段开头缩进两个字，", 180, 300, 1500),
        box("接着写满一行还没完。", 100, 370, 1500),
        box("第一段到此结束。", 100, 440, 700),
        box("第二段不缩进但上一行很短，", 100, 510, 1500),
        box("继续。", 100, 580, 300),
        box("隔了很大一段空白的第三段。", 100, 800, 1500),
    ]
    (page,) = lay_out([Scan(1, boxes, HEIGHT)])
    assert texts(page) == [
        "第一段开头缩进两个字，接着写满一行还没完。第一段到此结束。",
        "第二段不缩进但上一行很短，继续。",
        "隔了很大一段空白的第三段。",
    ]


def test_latin_words_across_a_line_break_keep_a_space():
    (page,) = lay_out([Scan(1, [box("依据 GB", 100, 300, 1500), box("50016 执行。", 100, 370, 600)], HEIGHT)])
    assert page.text == "依据 GB 50016 执行。"


def test_page_numbers_and_running_headers_are_dropped_but_a_red_header_stays():
    def page(number: int, first: str) -> Scan:
        return Scan(
            number,
            [
                box("东莞市人民政府公报", 600, 40, 1000),  # running header, every page
                box(first, 100, 300, 1500),
                box(f"— {number} —", 700, 1900, 900),  # page number
            ],
            HEIGHT,
        )

    pages = lay_out([page(1, "东莞市人民政府办公室文件"), page(2, "第二页正文。"), page(3, "第三页正文。")])
    assert [p.text for p in pages] == ["东莞市人民政府办公室文件", "第二页正文。", "第三页正文。"]
    assert [p.number for p in pages] == [1, 2, 3] and all(p.ocr for p in pages)


def test_a_line_in_the_margin_that_is_not_furniture_stays():
    (page,) = lay_out([Scan(1, [box("正文。", 100, 300, 1500), box("抄送：市委办公室。", 100, 1900, 800)], HEIGHT)])
    assert texts(page) == ["正文。", "抄送：市委办公室。"]


def test_a_skewed_scan_keeps_its_lines_apart():
    # Over 1400 pixels a 1.5 degree slant lifts a line by 37, more than the 30 between lines.
    boxes = [box(f"第{i}行的文字写满了整整一行。", 100, 300 + 70 * i, 1500, slant=1.5) for i in range(4)]
    (page,) = lay_out([Scan(1, boxes, HEIGHT)])
    assert [line.text for line in page.lines] == [f"第{i}行的文字写满了整整一行。" for i in range(4)]


def test_a_signature_at_the_right_is_read_before_a_note_at_the_left_below_it():
    boxes = [
        box("正文写满一行。", 100, 230, 1500),
        box("东莞市人民政府办公室", 900, 300, 1400),
        box("二○二三年三月十五日", 900, 370, 1400),
        box("抄送：市委办公室。", 100, 440, 500),
    ]
    (page,) = lay_out([Scan(1, boxes, HEIGHT)])
    assert texts(page) == ["正文写满一行。", "东莞市人民政府办公室", "二〇二三年三月十五日", "抄送：市委办公室。"]


def test_a_circle_read_for_the_zero_of_a_chinese_numeral_date_is_mended_elsewhere_not():
    boxes = [box("二○二三年三月十五日", 900, 300, 1400), box("O型血者优先。", 180, 370, 1500)]
    (page,) = lay_out([Scan(1, boxes, HEIGHT)])
    assert texts(page) == ["二〇二三年三月十五日", "O型血者优先。"]


def test_confidence_is_kept_per_line():
    (page,) = lay_out([Scan(4, [box("看得清。", 100, 300, 1500, 0.99), box("看不清", 100, 370, 400, 0.61)], HEIGHT)])
    assert [(line.text, line.confidence) for line in page.lines] == [("看得清。", 0.99), ("看不清", 0.61)]
    assert page.number == 4
