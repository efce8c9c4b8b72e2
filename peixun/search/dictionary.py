"""The education dictionary behind Chinese segmentation: default words and synonym
groups, the admin-edited text (setting "search.dictionary"), its parser, and the
segmenter built from it (rjieba: jieba's algorithm and dictionary in Rust).

Text format, one entry a line; `#` starts a comment:

    坊主                      a word the segmenter must keep whole
    教案 = 教学设计 = 教学方案   a synonym group; the FIRST word is the group's canonical form

The stored text replaces the defaults (an admin can remove a default); with no stored
text the default text is used. Each word is all Han characters (2–20) or all Latin
letters/digits (a synonym such as "ppt"); mixed words can never be one token (Han and
Latin runs are segmented apart) and are refused, as is a word in two synonym groups.

Each distinct dictionary gets its own private `rjieba.Jieba` (never the module's global
one), built once and cached by the text's hash. rjieba embeds jieba's dictionary and HMM
model: it writes no cache file and loads in 0.1–0.2 s.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.metadata import version as package_version

import rjieba
from flask import g, has_app_context
from sqlalchemy.exc import SQLAlchemyError

from peixun.core.errors import ServiceError
from peixun.core.settings import get_setting, put_setting
from peixun.extensions import db

SETTING_KEY = "search.dictionary"
# Bump when the analyzer's tokens (or a backend's index layout) change for the same text:
# part of dictionary_version(), so the admin page asks for `flask search rebuild`.
# 2: Whoosh facet columns as RefBytes, positions as varints (2026-12-04).
ANALYZER_REVISION = "2"
# High enough that a dictionary word beats jieba's split of it (坊 1,031 / 主 14,838 in a
# total of 60 M), low enough (far below the total) that a long word still beats two
# dictionary words inside it and that 学情 does not split 数学情境 or 同学情谊.
WORD_FREQ = 1_000_000
MAX_TEXT_CHARS = 100_000
MAX_WORD_CHARS = 20
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAN_WORD = re.compile(f"[{HAN}]{{2,{MAX_WORD_CHARS}}}")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
_CACHE_SIZE = 2  # the current dictionary and the one before
SEGMENTER = f"rjieba {package_version('rjieba')}"  # part of dictionary_version()

_WORDS = """
    坊主 工作坊 工作坊主持人 学员 参训教师 参训学员 班级辅导者 辅导教师 研修组长 教研组长 备课组长 学科专家
    首席专家 教研员 学校管理员 区县管理员 平台管理员 校本研修负责人 骨干教师 乡村教师 种子教师 培训者
    骨干培训者 送培团队 指导教师 个人空间 学校社区 区域社区 研修社区 网络研修社区 四级社区空间 研修小组
    学习共同体 教研组 备课组 主题研讨 专题研讨 答疑 研修日志 学习园地 精华帖 回帖 跟帖 遴选 征集 入库
    加工升级 定向征集 生成性资源 生成性资源库 本土化资源库 资源库 课程资源 优质资源 课件 讲义 课例 教案
    教学设计 微课 微视频 微课程 微课题 典型案例 课例研究案例 简报 工作坊简报 课程简报 班级简报 工作简报
    研修简报 研修快讯 学情 学情通报 学情统计 学情诊断 课例研究 磨课 研课磨课 研课 三备两打磨 一备 二备 三备
    磨课计划 磨课总结 观课 议课 评课 说课 听课 集体备课 协同备课 反思性备课 观课议课 观课评课 评课议课
    同课异构 课堂观察 自评 互评 组互评 自荐 优秀课例 优秀课例评选 国培计划 省培计划 国培项目 网络研修
    校本研修 网络研修与校本研修整合培训 工作坊研修 远程培训 集中研修 集中培训 送教下乡 跟岗实践 返岗实践
    混合式研修 混合式学习 线上研修 线下研修 常规研修 专题研修 训后跟踪 校本研修课程 研修计划 研修总结
    研修活动 研修平台 研修任务 研修成果 教研活动 信息技术 信息技术应用能力 能力提升工程 教育数字化 核心素养
    新课标 课程标准 高效课堂 课堂教学 学科教学 专业发展 教师专业发展 精准扶贫 学时 报到率 学习率 研修日志数
    发帖数 学员信息表 过程性评价 绩效评估 师德素养 通识课程 思维导图 翻转课堂 教学反思 教学目标 教学方法
    教学评价 教学手段 课题研究 行动研究 小课题 示范课 公开课 优质课 课堂实录 导学案 学案 义务教育 道德与法治
    学科素养 作业设计 大单元教学
"""
DEFAULT_WORDS: tuple[str, ...] = tuple(_WORDS.split())

DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(word.strip() for word in line.split("="))
    for line in """
    教案 = 教学设计 = 教学方案
    课件 = ppt = 演示文稿 = 幻灯片
    磨课 = 研课磨课
    坊主 = 工作坊主持人 = 工作坊坊主
    学情 = 学习情况
    微课 = 微视频 = 微课程
    学员 = 参训教师 = 参训学员
    教师 = 老师
    研修日志 = 研修日记
    国培计划 = 国培 = 中小学教师国家级培训计划
    观课 = 听课
    议课 = 评课
    集体备课 = 协同备课
    教研员 = 教研人员
    班级辅导者 = 辅导教师 = 辅导老师
    课堂实录 = 课堂录像 = 录像课
    导学案 = 学案
    回帖 = 跟帖
    思维导图 = 脑图
    人工智能 = ai
    """.strip().splitlines()
)


@dataclass(frozen=True)
class Dictionary:
    """A parsed dictionary: every word (synonyms included) and the synonym groups, each
    group's canonical word first."""

    words: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]

    @cached_property
    def version(self) -> str:
        # Comments, blank lines and the order of lines do not change the tokens.
        canonical = (
            "\n".join(sorted(self.words)) + "\n\n" + "\n".join(sorted(" ".join(g) for g in self.groups))
        )
        stamp = f"{ANALYZER_REVISION}|{SEGMENTER}|{canonical}"
        return hashlib.sha256(stamp.encode()).hexdigest()[:16]


@dataclass
class Segmenter:
    """The segmenter state for one dictionary: a private rjieba tokenizer and the synonyms.
    `tokenizer.cut(text)` gives jieba's precise-mode tokens (HMM on) as a list."""

    dictionary: Dictionary
    tokenizer: rjieba.Jieba
    group_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the analyzer's memo

    @property
    def version(self) -> str:
        return self.dictionary.version

    def canonical(self, token: str) -> str | None:
        group = self.group_of.get(token)
        return group[0] if group else None

    def alternatives(self, token: str) -> tuple[str, ...]:
        return tuple(w for w in self.group_of.get(token, ()) if w != token)

    def is_word(self, text: str) -> bool:
        return self.tokenizer.has_word(text)


@cache
def default_text() -> str:
    lines = ["# 检索词典：每行一个词；同义词用等号连接，第一个词为规范词。以 # 开头的行是注释。", ""]
    lines.append("# 同义词")
    lines.extend(" = ".join(group) for group in DEFAULT_SYNONYMS)
    lines.extend(["", "# 专业词汇"])
    grouped = {word for group in DEFAULT_SYNONYMS for word in group}
    lines.extend(word for word in DEFAULT_WORDS if word not in grouped)
    return "\n".join(lines) + "\n"


def _check_word(word: str, number: int, field_name: str | None) -> str:
    word = word.lower()
    if _HAN_WORD.fullmatch(word) or (_LATIN_WORD.fullmatch(word) and len(word) <= MAX_WORD_CHARS):
        return word
    if len(word) > MAX_WORD_CHARS:
        problem = f"超过 {MAX_WORD_CHARS} 个字"
    elif re.fullmatch(f"[{HAN}]", word):
        problem = "是单个汉字，不必加入词典"
    elif re.search(f"[{HAN}]", word) and re.search(r"[a-z0-9]", word):
        problem = "混合了汉字和字母数字，检索时会被分开，无法作为一个词"
    else:
        problem = "含有空格、标点或其他符号"
    raise ServiceError(f"词典第 {number} 行有误：「{word}」{problem}。", field=field_name)


def parse_dictionary(text: str, field: str | None = None) -> Dictionary:
    """Parse the admin's text; a bad line raises ServiceError naming its line number."""
    text = unicodedata.normalize("NFKC", text or "")
    if len(text) > MAX_TEXT_CHARS:
        raise ServiceError(f"词典过长：最多 {MAX_TEXT_CHARS} 个字符。", field=field)
    words: dict[str, None] = {}
    groups: list[tuple[str, ...]] = []
    line_of_group: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split("=")]
        if "" in parts:
            raise ServiceError(f"词典第 {number} 行有误：等号两边都要有词。", field=field)
        members = tuple(dict.fromkeys(_check_word(part, number, field) for part in parts))
        for word in members:
            words[word] = None
        if len(members) < 2:
            continue
        for word in members:
            if word in line_of_group:
                raise ServiceError(
                    f"词典第 {number} 行有误：「{word}」已在第 {line_of_group[word]} 行的同义词组中，"
                    "一个词只能属于一组同义词。",
                    field=field,
                )
            line_of_group[word] = number
        groups.append(members)
    return Dictionary(tuple(words), tuple(groups))


def current_dictionary_text() -> str:
    """The admin's dictionary text, or the default text when none is stored."""
    stored = get_setting(SETTING_KEY)
    return stored if stored and stored.strip() else default_text()


def save_dictionary(text: str, field: str | None = None) -> Dictionary:
    """Validate and store the admin's text, and commit. Searches use it at once; documents
    indexed before keep the old tokens until a rebuild (compare dictionary_version())."""
    text = "\n".join(line.rstrip() for line in (text or "").splitlines()) + "\n"
    parsed = parse_dictionary(text, field)
    put_setting(SETTING_KEY, text)
    db.session.commit()
    g.pop("search_segmenter", None)
    return parsed


_lock = threading.Lock()
_cache: dict[str, Segmenter] = {}


def _build(dictionary: Dictionary) -> Segmenter:
    tokenizer = rjieba.Jieba()  # jieba's default dictionary, embedded
    for word in dictionary.words:
        if _HAN_WORD.fullmatch(word):
            tokenizer.add_word(word, WORD_FREQ, None)
    group_of = {word: group for group in dictionary.groups for word in group}
    return Segmenter(dictionary, tokenizer, group_of)


def load(text: str) -> Segmenter:
    """The segmenter for a dictionary text, built once per distinct text (raises
    ServiceError when the text does not parse)."""
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    found = _cache.get(key)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _build(parse_dictionary(text))
            while len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = found
    return found


def current_segmenter() -> Segmenter:
    """The segmenter for the stored dictionary, read once per app context (each request
    sees an admin's change); the default dictionary outside an app context or when the
    stored text cannot be read or parsed."""
    if not has_app_context():
        return load(default_text())
    found = g.get("search_segmenter")
    if found is None:
        try:
            found = load(current_dictionary_text())
        except (SQLAlchemyError, ServiceError):
            logging.getLogger(__name__).exception("search dictionary unusable; using the default")
            return load(default_text())
        g.search_segmenter = found
    return found


def dictionary_version() -> str:
    """A short hash of the current dictionary (and analyzer revision): when it differs
    from the one the index was built with, the index needs a rebuild."""
    return current_segmenter().version
