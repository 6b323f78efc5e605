from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index.clean import clean_text

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLES = sorted(ARTICLES.glob("*.txt"))


def sample(prefix: str) -> str:
    return next(path for path in SAMPLES if path.name.startswith(prefix)).read_text(encoding="utf-8")


def body(text: str) -> str:
    """Cleaned text of ``text`` framed by a sentence so line rules see it as body."""
    return clean_text(text).text


# --- result shape -----------------------------------------------------------------------


def test_result_is_frozen_and_paragraphs_are_stripped_single_lines() -> None:
    result = clean_text("\n\n  第一段。  \n\n\n\t第二段。\n")
    assert result.text == "第一段。\n第二段。"
    assert result.counts["blank_line"] == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = ""  # type: ignore[misc]


def test_empty_text() -> None:
    assert clean_text("").text == ""
    assert clean_text("").counts == {}


# --- glued pinyin -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("當(dāng)前工作很好。", "當前工作很好。"),
        ("東城街道社區(qū)黨委。", "東城街道社區黨委。"),
        ("莞雁學(xué)堂開講。", "莞雁學堂開講。"),
        ("黨建引領(lǐng)基層治理。", "黨建引領基層治理。"),
    ],
)
def test_pinyin_after_a_character_is_removed(raw: str, clean: str) -> None:
    result = clean_text(raw)
    assert result.text == clean
    assert result.counts["pinyin"] == 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("村内在册党员118人(含回村报到的流动党员)，村民代表46人。", "村内在册党员118人（含回村报到的流动党员），村民代表46人。"),
        ("明确村(社区)党组织职能。", "明确村（社区）党组织职能。"),
        ("社区配备了Wi-Fi(free)服务。", "社区配备了Wi-Fi(free)服务。"),
        ("村(社區(qū))黨組織。", "村（社區）黨組織。"),
    ],
)
def test_legit_parentheses_are_kept(raw: str, clean: str) -> None:
    assert body(raw) == clean


def test_sample_001_has_no_pinyin_left() -> None:
    result = clean_text(sample("001"))
    assert "(" not in result.text and "（q" not in result.text
    assert "當前" not in result.text  # the breadcrumb it was in is gone as a whole
    assert "“莞雁學堂”走進東城，聚焦“基層治理”" in result.text
    assert result.counts["pinyin"] == 294


# --- mojibake ---------------------------------------------------------------------------


def test_mojibake_runs_in_sample_001_are_dropped_and_reported() -> None:
    result = clean_text(sample("001"))
    assert result.counts["mojibake"] == 4
    assert len(result.warnings) == 4
    assert all(warning.startswith("mojibake dropped:") for warning in result.warnings)
    assert "馃挊" in result.warnings[0] and "95%" in result.warnings[0]
    for garbage in ("馃", "挊", "鐓", "椤", "砹", "α", "ь", "ぷ", "鶎", "鍐", "?", "^"):
        assert garbage not in result.text
    # The run is replaced by a sentence break; the text around it is kept.
    assert "整體拆除率達95%。黨委書記羅偉傳認為：" in result.text
    assert "把“治理對象”轉變。凝聚起解決" in result.text
    assert "使“問題清單”變。特別是聚焦" in result.text
    # A one- or two-character stub left of a swallowed word (千頭萬緒) goes with the run.
    assert "下面一根針。能夠讓領導滿意" in result.text


@pytest.mark.parametrize("prefix", ["000", "002", "003", "004"])
def test_no_mojibake_false_positives_on_clean_samples(prefix: str) -> None:
    result = clean_text(sample(prefix))
    assert "mojibake" not in result.counts
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("东城街道建成2座城市服务驿站，奋楫笃行。", None),  # rare characters alone
        ("我們深入中堂鎮潢涌村、鳳崗鎮雁田村。", None),
        ("新鳌岭社区以帝璟东方小区为试点，莞翠邨小区党群服务中心。", None),
        ("如何强化城市基层党建?", "如何强化城市基层党建？"),  # a question, not mojibake
        ("α粒子和β射线的科普讲座。", None),  # Greek letters alone
        ("中韩交流活动以서울시为例。", None),  # a foreign word alone
    ],
)
def test_legit_text_is_not_mojibake(text: str, expected: str | None) -> None:
    result = clean_text(text)
    assert "mojibake" not in result.counts
    assert result.text == (expected or text)


def test_mojibake_at_the_start_of_a_line_leaves_no_stray_break() -> None:
    assert body("?;馃挊渖鐓^東城街道召開會議。") == "東城街道召開會議。"


# --- SEO spam ---------------------------------------------------------------------------


def test_seo_spam_line_of_sample_001_is_dropped() -> None:
    result = clean_text(sample("001"))
    assert result.counts["spam"] == 1
    for word in ("国产精品", "中文字幕", "人妻", "久久"):
        assert word not in result.text


@pytest.mark.parametrize(
    "line",
    [
        "日韩无码_在线观看_最新地址发布页",
        "國產精品_中文字幕_一區二區三區",  # traditional script
        "亚洲精品|高清视频|免费观看",
        "免费观看人妻中文字幕无码高清在线观看",
    ],
)
def test_other_spam_lines_are_dropped(line: str) -> None:
    result = clean_text(f"{line}\n东城街道召开会议。")
    assert result.text == "东城街道召开会议。"
    assert result.counts["spam"] == 1


@pytest.mark.parametrize(
    "line",
    [
        "●注重精品打造",
        "坚持久久为功，打造城市精品空间。",
        "依法打击偷拍、色情等违法行为，净化网络环境。",
        "开设在线课程_精品讲座_党史学习",  # a keyword chain needs two spam words, not one
    ],
)
def test_policy_text_with_spam_words_is_kept(line: str) -> None:
    assert body(line) == line


# --- web boilerplate --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("您当前的位置：首页 > 新闻 > 要闻", "breadcrumb"),
        ("您當(dāng)前的位置:首頁 > 街鎮(zhèn) > 東城要聞", "breadcrumb"),
        ("首页 > 党建 > 基层", "breadcrumb"),
        ("澎湃号·政务 >", "account_line"),
        ("广东党建订阅号", "account_line"),
        ("微信", "share_buttons"),
        ("新浪微博", "share_buttons"),
        ("QQ空间", "share_buttons"),
        ("微信 微博 QQ空间 豆瓣 Facebook Twitter", "share_buttons"),
        ("扫一扫在手机打开当前页", "share_buttons"),
        ("掃一掃在手機打開當前頁", "share_buttons"),
        ("字号", "font_size"),
        ("字號:【", "font_size"),
        ("字号：大 中 小", "font_size"),
        ("来源: 发布时间: 浏览量:", "meta_line"),
        ("來源:␠發(fā)布時間:␠瀏覽量:".replace("␠", " "), "meta_line"),
        ("来源：澎湃新闻·澎湃号·政务", "meta_line"),
        ("【来源】 南方报业传媒集团南方 客户端", "meta_line"),
        ("原标题：《东莞：基层党组织坚强有力》", "meta_line"),
        ("■新快报记者 杨英杰 通讯员 东城宣", "credit_line"),
        ("【采写】南方日报记者 吴帆", "credit_line"),
        ("【摄影】南方日报记者 叶志文", "credit_line"),
        ("本报记者 张三 李四", "credit_line"),
        ("2023年6月28日 星期三", "date_line"),
        ("2020-09-11 12:10", "date_line"),
        ("版权声明:本文内容由互联网用户自发贡献,该文观点仅代表作者本人。", "copyright"),
        ("© 2014-2024 上海东方报业有限公司", "copyright"),
        ("澎湃新闻,未经授权不得转载", "copyright"),
        ("沪ICP备14003370号", "licence"),
        ("沪公网安备31010602000299号", "licence"),
        ("互联网新闻信息服务许可证:31120170006", "licence"),
        ("增值电信业务经营许可证:沪B2-2017116", "licence"),
        ("下载客户端", "app_download"),
        ("扫码下载澎湃新闻客户端", "app_download"),
        ("澎湃新闻报料:021-962866", "app_download"),
        ("登录", "site_chrome"),
        ("• +1", "site_chrome"),
        ("收藏", "site_chrome"),
        ("我要举报", "site_chrome"),
        ("反馈", "site_chrome"),
        ("阅读原文", "site_chrome"),
        ("相關附件", "site_chrome"),
        ("相关信息", "site_chrome"),
        ("澎湃Logo", "site_chrome"),
        ("20241216001.jpg", "image_name"),
        ("photo_01.PNG", "image_name"),
        ("■深化“银行+社区”共建模式，火炼树社区党委与东莞农商银行东城支行党总支签约共建。", "caption"),
    ],
)
def test_boilerplate_lines_are_dropped_and_counted(line: str, rule: str) -> None:
    result = clean_text(f"东城街道召开会议。\n{line}\n会议强调要落实责任。")
    assert result.text == "东城街道召开会议。\n会议强调要落实责任。"
    assert result.counts[rule] == 1


def test_inline_photo_caption_is_removed() -> None:
    result = clean_text("交叉检查(图:交叉检查现场)在6月13日进行。\n(图:交叉检查现场)")
    assert result.text == "交叉检查在6月13日进行。"
    assert result.counts["caption"] == 2


@pytest.mark.parametrize(
    "line",
    [
        "市民可拨打热线电话12345或021-962866反映问题。",
        "群众可下载“i莞家”客户端办理业务，方便快捷，已有10万人使用。",
        "办理营业许可证的时间由20天压缩到5天。",
        "记者从市委组织部获悉。",
        "强化党员作用",
        "●强化“头雁”效应",
        "2023年东城街道党员主题活动启动仪式",
        "“三个强化”促进治理效能新提升",
        "截至2023年1月，全村户籍人口1867人。",
    ],
)
def test_body_lines_are_kept(line: str) -> None:
    assert body(line) == line


# --- widths, spaces, punctuation --------------------------------------------------------


def test_full_width_letters_and_digits_become_half_width() -> None:
    result = clean_text("全村户籍人口１８６７人，ＡＢＣ小区。")
    assert result.text == "全村户籍人口1867人，ABC小区。"
    assert result.counts["fullwidth"] == 7


def test_spaces_are_collapsed_and_unusual_spaces_unified() -> None:
    result = clean_text("党建\u3000服务   治理\u00a0引领\u2002书记\u200b。")
    assert result.text == "党建 服务 治理 引领 书记。"
    assert result.counts["spaces"] == 5


def test_half_width_punctuation_between_chinese_becomes_full_width() -> None:
    result = clean_text("东城,聚焦基层治理:一是强化;二是引领?三是注重!(含党员)")
    assert result.text == "东城，聚焦基层治理：一是强化；二是引领？三是注重！（含党员）"
    assert result.counts["cjk_punctuation"] == 6


@pytest.mark.parametrize(
    "text",
    [
        "全村总面积约1.5平方公里。",
        "累计合同总金额达2727.5万元。",
        "警情同比分别下降42.86%-66.67%。",
        "发布于2020-09-11 12:10的文章。",
        "热线021-962866全天开放。",
        "投入1,000万元。",
        "会议于12:10开始。",
        "共5.67亿元，其中2019年1.91亿元。",
    ],
)
def test_numbers_are_untouched(text: str) -> None:
    assert body(text) == text


def test_number_after_a_colon_keeps_its_digits() -> None:
    assert body("热线:021-962866") == "热线：021-962866"


def test_original_script_is_kept() -> None:
    assert body("黨建引領基層治理。") == "黨建引領基層治理。"


# --- paragraphs -------------------------------------------------------------------------


def test_repeated_banner_line_is_dropped() -> None:
    line = "2023年东城街道党员主题活动暨“十百千万”党员强基赋能计划启动仪式"
    result = clean_text(f"{line}\n\n{line.replace('计划启动', '计划 启动')}\n正文。")
    assert result.text == f"{line}\n正文。"
    assert result.counts["duplicate_line"] == 1


def test_short_repeated_headings_are_kept() -> None:
    assert body("背景\n第一篇。\n背景\n第二篇。") == "背景\n第一篇。\n背景\n第二篇。"


def test_paragraph_cut_mid_word_is_rejoined() -> None:
    first = "东城街道注重提高居民代表、居民小组长中的党员比例，深化领导干部驻点联系群众机制，以点带面提升基层治理水平。实"
    result = clean_text(f"{first}\n\n施“十百千万”党员强基赋能计划。")
    assert result.text == first + "施“十百千万”党员强基赋能计划。"
    assert result.counts["broken_paragraph"] == 1


def test_headings_are_not_joined_to_the_next_paragraph() -> None:
    text = "“三个强化”促进治理效能新提升\n东城街道完成社区换届选举。"
    assert body(text) == text


def test_sample_000_broken_paragraphs_are_rejoined() -> None:
    text = clean_text(sample("000")).text
    assert "以点带面提升基层治理水平。实施“十百千万”党员强基赋能计划" in text
    assert "东城城管分局党总支联合社区党员干部组成党员先锋队" in text
