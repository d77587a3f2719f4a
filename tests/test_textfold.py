import threading
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from series_archiver import textfold
from series_archiver.textfold import fold, fold_key, normalize, shingles, similarity, to_simplified, to_traditional

CHINESE_ISH = st.text(
    alphabet=st.sampled_from(list("華为為爲國国發发說说的了是在一萬億亿，。、「」“”｜︱·・—－ 　\u200b\ufeff\n１2.％ＡbC…⋯")),
    max_size=60,
)


# --- normalize ------------------------------------------------------------


def test_normalize_removes_zero_width_characters():
    assert normalize("\ufeff港府\u200b宣布\u200c新\u200d措\u2060施") == "港府宣布新措施"


def test_normalize_turns_unicode_spaces_into_one_space():
    assert normalize("政策\u00a0出台\u3000後  市場\u2003反應 \t 平穩") == "政策 出台 後 市場 反應 平穩"


def test_normalize_strips_each_line_and_keeps_blocks():
    assert normalize("  第一段。 \r\n\u3000第二段。\u3000\n ") == "第一段。\n第二段。"


def test_normalize_keeps_script_and_full_width_punctuation():
    text = "「華為」營收達１萬億元，增長５％！"
    assert normalize(text) == text


def test_normalize_composes_nfc():
    assert normalize("Cafe\u0301") == "Café"


# --- fold -----------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("營收１２３億元，增長５％！", "營收123億元,增長5%!"),  # full-width digits and punctuation
        ("（記者　陳大文）", "(記者 陳大文)"),
        ("華為發布新手機", "华为发布新手机"),  # traditional / simplified
        ("華爲發布新手機", "華為發布新手機"),  # 爲 / 為 variants
        ("港府 宣布\u00a0新措施", "港府宣布新措施"),  # spaces
        ("港府\u200b宣布\ufeff新措施", "港府宣布新措施"),  # zero-width, BOM
        ("他說：「晶片要自主。」", "他說：“晶片要自主。”"),  # quote styles
        ("『自主』", "‘自主’"),
        ("貿戰下中國力量①︱志氣篇", "貿戰下中國力量1｜志氣篇"),  # series title separators
        ("欄目\\標題", "欄目/標題"),
        ("馬克·吐溫", "馬克・吐溫"),
        ("戰略——自主", "戰略—自主"),
        ("他停了一下……", "他停了一下⋯⋯"),
        ("ＡＩ晶片", "ai晶片"),
        ("第一段。\n第二段。", "第一段。第二段。"),
    ],
)
def test_fold_equates_typographic_variants(a, b):
    assert fold(a) == fold(b)
    assert fold_key(a) == fold_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("營收突破1萬億美元", "營收突破1.2萬億美元"),
        ("營收突破1萬億美元", "營收突破2萬億美元"),
        ("市政府今日公布預算", "市政府昨日公布預算"),
        ("增長5%", "增長5.5%"),
        ("晶片自主", "晶片自主之路"),
        ("他說：「好。」", "他說：好。"),
    ],
)
def test_fold_keeps_real_differences(a, b):
    assert fold(a) != fold(b)
    assert fold_key(a) != fold_key(b)


def test_fold_output():
    assert fold("華為　「１萬億」") == '华为"1万亿"'
    assert fold("貿戰下中國力量︱志氣篇") == "贸战下中国力量-志气篇"


@given(CHINESE_ISH)
def test_fold_is_idempotent_and_has_no_whitespace(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(c.isspace() for c in folded)


@given(CHINESE_ISH)
def test_fold_of_normalized_equals_fold(text):
    assert fold(normalize(text)) == fold(text)


def test_fold_key_is_short_hex():
    key = fold_key("港府宣布新措施")
    assert len(key) == 16
    int(key, 16)


def test_converter_is_created_once_under_threads(monkeypatch):
    monkeypatch.setattr(textfold, "_converters", {})
    created = []
    real = textfold.opencc.OpenCC

    def counting(config):
        created.append(config)
        return real(config)

    monkeypatch.setattr(textfold.opencc, "OpenCC", counting)
    barrier = threading.Barrier(8)
    results = []

    def work():
        barrier.wait()
        results.append(fold("華為發布新手機，營收突破１萬億元。"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert created == ["t2s.json"]
    assert results == ["华为发布新手机,营收突破1万亿元。"] * 8


# --- shingles -------------------------------------------------------------


def test_shingles_are_stable_hashes_of_folded_text():
    assert shingles("一二三四五六") == {
        zlib.crc32("一二三四五".encode("utf-32-le")),
        zlib.crc32("二三四五六".encode("utf-32-le")),
    }


def test_shingles_ignore_script_and_width():
    assert shingles("華為發布新手機，營收增長。") == shingles("华为发布新手机,营收增长。")


def test_shingles_of_short_and_empty_text():
    assert len(shingles("港府")) == 1
    assert shingles("") == set()
    assert shingles(" \u200b ") == set()
    with pytest.raises(ValueError):
        shingles("港府", size=0)


def test_similarity():
    base = "市政府今日公布財政預算，預計明年經濟增長百分之三，並推出多項紓困措施。"
    edited = base.replace("百分之三", "百分之二點五")
    other = "颱風今晚登陸，天文台發出八號烈風信號，學校全日停課。"
    assert similarity(shingles(base), shingles(base)) == 1.0
    assert 0.5 < similarity(shingles(base), shingles(edited)) < 1.0
    assert similarity(shingles(base), shingles(other)) < 0.1
    assert similarity(set(), set()) == 1.0
    assert similarity(shingles(base), set()) == 0.0


# --- script conversion ----------------------------------------------------


def test_to_simplified():
    assert to_simplified("華爲發展") == "华为发展"
    assert to_simplified("华为发展") == "华为发展"


def test_to_traditional_variants():
    assert to_traditional("华为发展") == "華爲發展"  # OpenCC standard
    assert to_traditional("华为发展", "hk") == "華為發展"
    assert to_traditional("软件", "tw") == "軟件"
    with pytest.raises(ValueError, match="hk"):
        to_traditional("华为", "mo")  # type: ignore[arg-type]
