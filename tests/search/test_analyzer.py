"""The analyzer: dictionary words stay whole, phrase-correct positions, Han/Latin runs,
synonyms, pinyin keys, a query parser no string can break, and the admin's dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
import rjieba

from peixun.core.errors import ServiceError
from peixun.core.settings import get_setting, put_setting
from peixun.extensions import db
from peixun.search.analyzer import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    dictionary_version,
    highlight_terms,
    index_tokens,
    parse_query,
    pinyin_keys,
    segment,
)
from peixun.search.backends.base import Clause, ParsedQuery
from peixun.search.dictionary import (
    DEFAULT_SYNONYMS,
    DEFAULT_WORDS,
    SETTING_KEY,
    current_dictionary_text,
    default_text,
    load,
    parse_dictionary,
    save_dictionary,
)

ROOT = Path(__file__).resolve().parents[2]


def positions(text: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for token, position in index_tokens(text):
        found.setdefault(token, set()).add(position)
    return found


def terms(query: ParsedQuery) -> list[tuple[str, ...]]:
    return [clause.tokens for clause in query.clauses]


# Segmentation


def test_fangzhu_stays_one_token():
    assert segment("本期坊主张丽发布了学情通报") == ["本期", "坊主", "张丽", "发布", "了", "学情通报"]


@pytest.mark.parametrize(
    "word", ["三备两打磨", "课例研究", "生成性资源", "研课磨课", "本土化资源库", "校本研修", "学习园地"]
)
def test_dictionary_compounds_stay_whole(word):
    assert segment(word) == [word]
    assert terms(parse_query(word)) == [(word,)]


@pytest.mark.parametrize("word", ["坊主", "磨课", "学情", "微课", "观课", "议课", "简报"])
def test_two_character_words_stay_whole(word):
    assert segment(word) == [word]


def test_dictionary_words_do_not_swallow_their_neighbours():
    # 学情 is a word, but 数学情境 and 同学情谊 keep their ordinary split.
    assert segment("数学情境") == ["数学", "情境"]
    assert segment("同学情谊") == ["同学", "情谊"]


def test_a_sub_word_shares_the_position_of_its_compound():
    found = positions("加强生成性资源建设")
    assert found["生成性资源"] == found["资源"] == found["生成"] == {1}
    assert found["建设"] == {2}


def test_phrase_tokens_sit_at_consecutive_positions():
    phrase = parse_query('"生成性资源 建设"').clauses[0]
    assert phrase.is_phrase and phrase.tokens == ("生成性资源", "建设")
    found = positions("本学期加强生成性资源建设。")
    first, second = (found[token] for token in phrase.tokens)
    assert any(p + 1 in second for p in first)


def test_query_tokens_are_index_tokens_of_the_same_text():
    for text in ["坊主发布学情通报", "三备两打磨的课例研究", "信息技术2.0与PPT制作", "张丽老师的微课"]:
        indexed = {token for token, _ in index_tokens(text)}
        for clause in parse_query(text).clauses:
            assert set(clause.tokens) <= indexed


def test_han_and_latin_runs_are_segmented_apart():
    assert segment("信息技术2.0与PPT制作") == ["信息技术", "2.0", "与", "ppt", "制作"]
    assert segment("用GeoGebra上2026年的课") == ["用", "geogebra", "上", "2026", "年", "的", "课"]
    assert segment("互联网+教育、C++ and H5") == ["互联网", "教育", "c", "and", "h5"]


def test_full_width_latin_and_digits_are_folded():
    assert segment("ＰＰＴ　２０２６") == ["ppt", "2026"]
    assert segment("信息技术２．０") == ["信息技术", "2.0"]
    assert index_tokens("ＧｅｏＧｅｂｒａ") == [("geogebra", 0)]


def test_punctuation_whitespace_emoji_and_invisible_marks_take_no_position():
    assert index_tokens("微课，\n磨课！😀 \u200b\u202e") == [("微课", 0), ("磨课", 1)]
    assert segment("课\u200b例研究") == ["课例研究"]
    assert index_tokens("") == [] and segment("。，！") == []


def test_synonyms_share_the_canonical_word_at_the_same_position():
    assert positions("优秀教学设计")["教案"] == {1}
    assert positions("PPT模板")["课件"] == {0}
    assert positions("工作坊主持人张丽")["坊主"] == {0}
    assert positions("研课磨课")["磨课"] == {0}
    assert ("教学设计", 0) not in index_tokens("教案")  # the canonical word is the meeting point
    clause = parse_query("教学设计").clauses[0]
    assert clause.tokens == ("教学设计",) and "教案" in clause.alternatives
    assert set(parse_query("ppt").clauses[0].alternatives) == {"课件", "演示文稿", "幻灯片"}


def test_pinyin_keys_for_names_and_titles():
    assert pinyin_keys("张丽") == ["zhangli", "zl"]
    assert pinyin_keys("课例研究") == ["keliyanjiu", "klyj"]
    keys = pinyin_keys("三备两打磨课例研究的设计与实施总结")  # over 8 Han characters
    assert {"keliyanjiu", "klyj", "sheji", "sj"} <= set(keys)
    assert all(key.isascii() and key.isalpha() and key.islower() for key in keys)
    assert len(keys) == len(set(keys))
    assert pinyin_keys("PPT 2026") == [] and pinyin_keys("") == []


# Queries


def test_a_mixed_query_gives_one_clause_a_word():
    query = parse_query("信息技术 数学")
    assert terms(query) == [("信息技术",), ("数学",)]
    assert query.dropped == ()


def test_exclusions_and_quoted_phrases():
    query = parse_query('"生成性资源 建设" -磨课 -"小学 数学" 微课')
    assert query.clauses == (
        Clause(("生成性资源", "建设"), is_phrase=True),
        Clause(("磨课",), ("研课磨课",), is_negated=True),
        Clause(("小学", "数学"), is_phrase=True, is_negated=True),
        Clause(("微课",), ("微视频", "微课程")),
    )
    assert [c.tokens for c in query.positive] == [("生成性资源", "建设"), ("微课",)]
    # A quoted single word means exactly that word: no synonyms.
    assert parse_query("“微课”").clauses == (Clause(("微课",)),)


def test_latin_terms_may_be_pinyin():
    query = parse_query("zl klyj PPT 2026 x")
    assert [(c.tokens[0], c.pinyin) for c in query.clauses] == [
        ("zl", "zl"),
        ("klyj", "klyj"),
        ("ppt", "ppt"),
        ("2026", ""),
        ("x", ""),
    ]


def test_stop_words_are_dropped_unless_nothing_else_is_left():
    query = parse_query("微课的设计 与 the 实施")
    assert terms(query) == [("微课",), ("设计",), ("实施",)]
    assert set(query.dropped) == {"的", "与", "the"}
    only = parse_query("的 了 和")
    assert terms(only) == [("的",), ("了",), ("和",)] and only.dropped == ()


def test_at_most_twelve_positive_clauses():
    words = [
        "语文",
        "数学",
        "英语",
        "物理",
        "化学",
        "生物",
        "历史",
        "地理",
        "政治",
        "音乐",
        "美术",
        "体育",
        "科学",
        "信息",
    ]
    query = parse_query(" ".join(words))
    assert len(query.positive) == MAX_CLAUSES
    assert query.dropped == ("科学", "信息")


JUNK = [
    ('"微课 设计', [("微课",), ("设计",)], ()),
    ('微课" 设计"', [("微课",), ("设计",)], ()),
    ('课例"研究', [("课例研究",)], ()),
    ('"""', [], ('""',)),
    ('""', [], ('""',)),
    ("-", [], ("-",)),
    ("- + ~ ^ :", [], ("-", "+", "~", "^", ":")),
    ("*", [], ("*",)),
    ("**?", [], ("**?",)),
    ("研* ppt?", [("研",), ("ppt",)], ("*", "?")),
    ("OR AND NOT 微课", [("微课",)], ("OR", "AND", "NOT")),
    ("微课\x00磨课\x07", [("微课",), ("磨课",)], ()),
    ("😀🎉", [], ("😀🎉",)),
    ("\u202e\u200f微课\u202c", [("微课",)], ()),
    ("的", [("的",)], ()),
    ("   \t\n", [], ()),
    ("", [], ()),
    ("( ) [ ] { } \\ / | & !", [], ("(", ")", "[", "]", "{", "}", "\\", "/", "|", "&", "!")),
    ("-的 -了", [], ("的", "了")),
]


@pytest.mark.parametrize(("raw", "expected", "dropped"), JUNK)
def test_junk_queries_never_raise_and_say_what_was_dropped(raw, expected, dropped):
    query = parse_query(raw)
    assert isinstance(query, ParsedQuery)
    assert [c.tokens for c in query.positive] == expected
    assert query.dropped == dropped


def test_an_oversize_query_is_cut_and_the_rest_listed():
    query = parse_query("微课" * 2500)  # 5,000 characters, one long Han run
    kept = sum(len("".join(c.tokens)) for c in query.clauses)
    assert kept <= MAX_QUERY_CHARS and query.dropped[0].startswith("微课") and query.dropped[0].endswith("…")
    many = parse_query(" ".join(f"词{i}" for i in range(2000)))
    assert len(many.positive) <= MAX_CLAUSES and many.dropped


@pytest.mark.parametrize("raw", [None, 12, "\ud800", "a" * 10_000, '"' * 999, "-" * 500, "\x00" * 50])
def test_anything_at_all_parses(raw):
    query = parse_query(raw)
    assert isinstance(query, ParsedQuery)
    highlight_terms(query)


def test_highlight_terms_longest_first_with_phrases_and_alternatives():
    query = parse_query('"PPT 制作" 教案 -磨课')
    found = highlight_terms(query)
    assert found[0] == "ppt制作"
    assert {"ppt", "制作", "教案", "教学设计", "教学方案"} <= set(found)
    assert "磨课" not in found
    assert [len(t) for t in found] == sorted((len(t) for t in found), reverse=True)


# The dictionary


def test_the_default_dictionary_parses_and_holds_the_domain_words():
    parsed = parse_dictionary(default_text())
    assert len(parsed.words) >= 150
    assert set(DEFAULT_WORDS) <= set(parsed.words)
    assert parsed.groups == DEFAULT_SYNONYMS
    assert all(group[0] for group in parsed.groups)


def test_the_parser_reads_comments_synonyms_and_full_width_signs():
    parsed = parse_dictionary("# 注释\n\n双减政策  # 行尾注释\n大概念 ＝ 大观念 = 大概念\nＰＰＴ = 演示稿\n")
    assert parsed.words == ("双减政策", "大概念", "大观念", "ppt", "演示稿")
    assert parsed.groups == (("大概念", "大观念"), ("ppt", "演示稿"))


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("微课\n信息技术2.0", 2, "混合"),
        ("微课\n\n课", 3, "单个汉字"),
        ("微 课", 1, "空格"),
        ("微课！", 1, "标点"),
        ("教案 = ", 1, "等号"),
        ("= 教案", 1, "等号"),
        ("教案 = 教学设计\n学案 = 教学设计", 2, "第 1 行"),
        ("x" * 21, 1, "20"),
    ],
)
def test_the_parser_refuses_bad_lines_by_number(text, line, what):
    with pytest.raises(ServiceError) as refused:
        parse_dictionary(text, field="text")
    assert f"第 {line} 行" in refused.value.message and what in refused.value.message
    assert refused.value.field == "text"


def test_the_version_follows_the_words_not_the_layout():
    base = parse_dictionary("坊主\n教案 = 教学设计\n").version
    assert parse_dictionary("# 说明\n教案 = 教学设计\n\n坊主  # 主持人\n").version == base
    assert parse_dictionary("坊主\n教学设计 = 教案\n").version != base  # another canonical word
    assert parse_dictionary("坊主\n教案 = 教学设计\n学情\n").version != base


def test_each_dictionary_gets_one_private_quiet_tokenizer(capfd):
    text = "# 测试专用词典\n双减政策\n"
    first = load(text)
    assert load(text) is first
    assert first.tokenizer is not rjieba._DEFAULT_JIEBA
    assert first.tokenizer.has_word("双减政策") and not first.tokenizer.has_word("坊主")
    assert not rjieba.has_word("双减政策")  # the global tokenizer is untouched
    assert not (ROOT / "jieba.cache").exists() and not any(ROOT.glob("peixun/**/jieba*.cache"))
    assert capfd.readouterr().err == ""


# The admin's dictionary (settings)


def test_an_edited_dictionary_changes_segmentation(app):
    assert current_dictionary_text() == default_text()
    before = dictionary_version()
    assert segment("落实双减政策") == ["落实", "双减", "政策"]
    put_setting(SETTING_KEY, default_text() + "双减政策\n大概念 = 大观念\n")
    db.session.commit()
    with app.app_context():  # the next request reads the new text
        assert segment("落实双减政策") == ["落实", "双减政策"]
        assert ("大概念", 1) in index_tokens("落实大观念")
        assert dictionary_version() != before


def test_saving_validates_stores_and_takes_effect_at_once(app):
    segment("大概念教学")  # the request has its segmenter
    with pytest.raises(ServiceError, match="第 2 行"):
        save_dictionary("微课\n信息技术2.0\n", field="text")
    assert get_setting(SETTING_KEY) is None
    save_dictionary("大概念教学\r\n坊主 = 工作坊主持人\r\n")
    assert get_setting(SETTING_KEY) == "大概念教学\n坊主 = 工作坊主持人\n"
    assert segment("大概念教学") == ["大概念教学"]
    assert segment("三备两打磨") != ["三备两打磨"]  # the stored text replaces the defaults


def test_an_unusable_stored_dictionary_falls_back_to_the_default(app):
    put_setting(SETTING_KEY, "信息技术2.0\n")  # written around save_dictionary's check
    db.session.commit()
    with app.app_context():
        assert segment("坊主") == ["坊主"]
        assert dictionary_version() == load(default_text()).version
