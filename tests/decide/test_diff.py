import random
import time
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from series_archiver.decide.diff import DiffOp, TextDiff, diff_texts, layout, render_html


def ops(diff):
    return [(o.op, o.text) for o in diff.ops]


def assert_recomposes(diff, old, new):
    assert "".join(o.text for o in diff.ops if o.op != "insert") == old
    assert "".join(o.text for o in diff.ops if o.op != "delete") == new
    assert diff.old == old and diff.new == new


# --- exact ops ------------------------------------------------------------


def test_one_character_changed():
    old, new = "市政府今日公布財政預算。", "市政府昨日公布財政預算。"
    d = diff_texts(old, new)
    assert ops(d) == [("equal", "市政府"), ("delete", "今"), ("insert", "昨"), ("equal", "日公布財政預算。")]
    assert (d.chars_added, d.chars_removed) == (1, 1)
    assert d.summary() == "「市政府今→昨日公布財政預…」"
    assert_recomposes(d, old, new)


def test_changed_number_is_one_replacement_of_the_whole_number():
    old = "該公司去年營收突破1萬億美元，創下新高。"
    new = "該公司去年營收突破1.2萬億美元，創下新高。"
    d = diff_texts(old, new)
    # diff-match-patch alone says: insert ".2" after "1".
    assert ops(d) == [
        ("equal", "該公司去年營收突破"),
        ("delete", "1萬億"),
        ("insert", "1.2萬億"),
        ("equal", "美元，創下新高。"),
    ]
    assert d.summary() == "「…去年營收突破1萬億→1.2萬億美元，創下新…」"
    assert_recomposes(d, old, new)


def test_number_widening_stops_at_a_trailing_separator():
    d = diff_texts("全年增長1.5%,創新高。", "全年增長2.5%,創新高。")
    assert ops(d) == [("equal", "全年增長"), ("delete", "1.5%"), ("insert", "2.5%"), ("equal", ",創新高。")]
    d = diff_texts("撥款3,500億元。", "撥款3,800億元。")
    assert ops(d) == [("equal", "撥款"), ("delete", "3,500億"), ("insert", "3,800億"), ("equal", "元。")]


def test_number_widening_leaves_words_alone():
    d = diff_texts("他一直反對。", "他一直都反對。")
    assert ops(d) == [("equal", "他一直"), ("insert", "都"), ("equal", "反對。")]


def test_one_sentence_deleted_from_a_paragraph():
    old = "議員週二提出動議。此舉引發激烈爭論。會議延至下週再議。\n第二段不變。"
    new = "議員週二提出動議。會議延至下週再議。\n第二段不變。"
    d = diff_texts(old, new)
    assert ops(d) == [
        ("equal", "議員週二提出動議。"),
        ("delete", "此舉引發激烈爭論。"),
        ("equal", "會議延至下週再議。\n第二段不變。"),
    ]
    assert (d.chars_added, d.chars_removed) == (0, 9)
    assert d.summary() == "-「此舉引發激烈爭論。」"
    assert_recomposes(d, old, new)


def test_changed_title_line():
    old = "科技戰線｜之三：晶片自主\n記者報道，研發投入持續增加。"
    new = "科技戰線｜之三：半導體突圍\n記者報道，研發投入持續增加。"
    d = diff_texts(old, new)
    assert ops(d) == [
        ("equal", "科技戰線｜之三："),
        ("delete", "晶片自主"),
        ("insert", "半導體突圍"),
        ("equal", "\n記者報道，研發投入持續增加。"),
    ]
    assert d.summary() == "「…戰線｜之三：晶片自主→半導體突圍」"


def test_paragraph_replaced_by_an_unrelated_one_is_whole():
    old = "甲段落保持。\n今日天氣晴朗，氣溫攝氏二十度。\n乙段落保持。"
    new = "甲段落保持。\n這是一段完全不同的文字，與原文無關。\n乙段落保持。"
    d = diff_texts(old, new)
    # diff-match-patch would keep the shared final "。"; a whole paragraph reads better.
    assert ops(d) == [
        ("equal", "甲段落保持。\n"),
        ("delete", "今日天氣晴朗，氣溫攝氏二十度。\n"),
        ("insert", "這是一段完全不同的文字，與原文無關。\n"),
        ("equal", "乙段落保持。"),
    ]
    assert (d.chars_added, d.chars_removed) == (18, 15)


def test_paragraph_moved():
    old = "第一段。\n第二段。\n第三段。\n第四段。"
    new = "第一段。\n第三段。\n第四段。\n第二段。"
    d = diff_texts(old, new)
    assert ops(d) == [
        ("equal", "第一段。\n"),
        ("delete", "第二段。\n"),
        ("equal", "第三段。\n第四段。"),
        ("insert", "\n第二段。"),
    ]
    assert (d.chars_added, d.chars_removed) == (4, 4)
    assert d.summary() == "-「第二段。」 (+1 more)"
    assert_recomposes(d, old, new)


def test_paragraph_inserted():
    old = "第一段。\n第二段。"
    new = "第一段。\n新加的一段。\n第二段。"
    d = diff_texts(old, new)
    assert ops(d) == [("equal", "第一段。\n"), ("insert", "新加的一段。\n"), ("equal", "第二段。")]
    assert (d.chars_added, d.chars_removed) == (6, 0)
    assert d.summary() == "+「新加的一段。」"


def test_paragraph_added_and_dropped_at_the_ends():
    assert ops(diff_texts("第一段。", "第一段。\n尾段。")) == [("equal", "第一段。"), ("insert", "\n尾段。")]
    assert ops(diff_texts("第一段。\n尾段。", "第一段。")) == [("equal", "第一段。"), ("delete", "\n尾段。")]
    assert ops(diff_texts("第一段。", "首段。\n第一段。")) == [("insert", "首段。\n"), ("equal", "第一段。")]


def test_paragraph_split_is_a_change_without_characters():
    d = diff_texts("前半句，後半句。", "前半句，\n後半句。")
    assert ops(d) == [("equal", "前半句，"), ("insert", "\n"), ("equal", "後半句。")]
    assert d.changed and (d.chars_added, d.chars_removed) == (0, 0)
    assert d.summary() == "+「¶」"


def test_identical_texts():
    d = diff_texts("第一段。\n第二段。", "第一段。\n第二段。")
    assert ops(d) == [("equal", "第一段。\n第二段。")]
    assert not d.changed
    assert (d.chars_added, d.chars_removed) == (0, 0)
    assert d.summary() == "no change"
    assert diff_texts("", "").ops == ()


def test_from_and_to_empty():
    assert ops(diff_texts("", "新文章。\n第二段。")) == [("insert", "新文章。\n第二段。")]
    assert ops(diff_texts("舊文章。", "")) == [("delete", "舊文章。")]


def test_summary_is_clipped_and_one_line():
    long_par = "這是一個很長的新段落" * 10
    d = diff_texts("開頭。", "開頭。\n" + long_par + "\n" + long_par)
    line = d.summary(width=20)
    assert line == "+「這是一個很長的新段落這是一個很長的新段…」"
    assert "\n" not in line


def test_as_json_round_trip():
    d = diff_texts("市政府今日公布財政預算。", "市政府昨日公布財政預算。")
    data = d.as_json()
    assert data == {
        "chars_added": 1,
        "chars_removed": 1,
        "ops": [
            {"op": "equal", "text": "市政府"},
            {"op": "delete", "text": "今"},
            {"op": "insert", "text": "昨"},
            {"op": "equal", "text": "日公布財政預算。"},
        ],
    }
    assert TextDiff.from_json(data) == d


def _article(rng: random.Random, chars: int) -> list[str]:
    alphabet = "的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經"
    paragraphs, total = [], 0
    while total < chars:
        par = "".join(rng.choice(alphabet) for _ in range(rng.randint(80, 300))) + "。"
        paragraphs.append(par)
        total += len(par) + 1
    return paragraphs


def test_twenty_scattered_edits_in_twenty_thousand_characters():
    rng = random.Random(20)
    paragraphs = _article(rng, 20_000)
    old = "\n".join(paragraphs)
    edited = list(paragraphs)
    for i in rng.sample(range(len(edited)), 20):
        p = edited[i]
        j = rng.randrange(len(p) - 5)
        edited[i] = p[:j] + "【改】" + p[j + 2 :]
    new = "\n".join(edited)
    started = time.perf_counter()
    d = diff_texts(old, new)
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"diff of {len(old)} / {len(new)} characters, 20 edits: {elapsed_ms:.1f} ms")
    assert_recomposes(d, old, new)
    hunks = [o for o in d.ops if o.op == "insert"]
    assert len(hunks) == 20
    assert d.chars_added == sum(len(o.text) for o in hunks) >= 20 * 3 - 20


def test_unrelated_long_texts_stay_correct_within_the_timeout():
    rng = random.Random(3)
    old, new = "".join(_article(rng, 5_000)), "".join(_article(rng, 5_000))
    d = diff_texts(old, new, timeout=0.05)
    assert_recomposes(d, old, new)


# --- property -------------------------------------------------------------

CHINESE_ISH = st.text(alphabet=st.sampled_from(list("甲乙丙丁的了是，。「」1.2萬億%\n")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(CHINESE_ISH, CHINESE_ISH)
def test_ops_recompose_both_sides(old, new):
    d = diff_texts(old, new)
    assert_recomposes(d, old, new)
    assert all(o.text for o in d.ops)
    kinds = [o.op for o in d.ops]
    assert ("equal", "equal") not in pairwise(kinds)
    assert ("insert", "delete") not in pairwise(kinds)
    assert d.chars_added == sum(len(o.text.replace("\n", "")) for o in d.ops if o.op == "insert")
    assert d.chars_removed == sum(len(o.text.replace("\n", "")) for o in d.ops if o.op == "delete")
    assert d.changed == (old != new)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["甲段。", "乙段。", "丙段1萬億。", "丁段有「引號」。", ""]), max_size=8), st.data())
def test_paragraph_shuffles_recompose(paragraphs, data):
    shuffled = data.draw(st.permutations(paragraphs))
    old, new = "\n".join(paragraphs), "\n".join(shuffled)
    assert_recomposes(diff_texts(old, new), old, new)


# --- rendering ------------------------------------------------------------


def test_layout_folds_unchanged_paragraphs_far_from_a_change():
    d = diff_texts("一\n二\n三\n四", "一\n二\n三\n四改")
    assert layout(d) == [2, [("equal", "三")], [("equal", "四"), ("insert", "改")]]
    assert layout(d, context=None)[0] == [("equal", "一")]
    # One hidden paragraph is shown: it takes no more room than its "…" line.
    assert layout(diff_texts("一\n二\n三", "一\n二\n三改"))[0] == [("equal", "一")]


def test_render_html_escapes_untrusted_text():
    old = "正文第一段。\n<script>alert(1)</script>"
    new = '正文第一段。\n<img src=x onerror="alert(2)">'
    out = render_html(diff_texts(old, new))
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in out


def test_render_html_structure():
    out = render_html(diff_texts("市政府今日公布預算。\n第二段。", "市政府昨日公布預算。\n第二段。"))
    assert out.startswith('<div class="sa-diff"><style>') and out.endswith("</div>")
    body = out[out.index("</style>") + len("</style>") :]
    assert body == (
        '<p>市政府<del class="diff-del">今</del><ins class="diff-ins">昨</ins>日公布預算。</p><p>第二段。</p></div>'
    )
    style = out[: out.index("</style>")]
    assert "ins.diff-ins{background:" in style
    assert "del.diff-del{" in style and "line-through" in style


def test_render_html_paragraph_split_marker_and_skip():
    out = render_html(diff_texts("甲\n乙\n丙\n前後", "甲\n乙\n丙\n前\n後"))
    assert out.endswith(
        '<p class="diff-skip">… 2 unchanged paragraphs</p><p>丙</p>'
        '<p>前<ins class="diff-ins">¶</ins></p><p>後</p></div>'
    )


def test_diff_op_is_frozen():
    op = DiffOp("equal", "甲")
    try:
        op.text = "乙"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("DiffOp must be frozen")
