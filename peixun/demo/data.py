"""Fixed data of the demo community: the 黔西南州 programme (seed 000), names and logins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SEED = 2018  # the year of the programme in seed 000; every random choice follows from it
TEACHERS = 500
WORKSHOP_SIZE = TEACHERS // 10


@dataclass(frozen=True)
class Region:
    name: str
    slug: str
    description: str


@dataclass(frozen=True)
class School:
    name: str
    slug: str
    stages: tuple[str, ...]


@dataclass(frozen=True)
class District:
    region: Region
    # Research journals per district in seed 000's table: a fair weight for its share of teachers.
    weight: int
    schools: tuple[School, ...]


@dataclass(frozen=True)
class Workshop:
    name: str
    slug: str
    district: str  # slug of the district it belongs to
    subject: str
    stage: str
    description: str
    hosts: int
    groups: tuple[str, ...]


PROVINCE = Region("贵州省", "guizhou", "贵州省中小学教师研修社区：汇聚各市州的区域、学校与工作坊研修成果。")
CITY = Region(
    "黔西南州",
    "qianxinan",
    "黔西南布依族苗族自治州研修社区。500 名中学语文、数学、英语骨干教师在 10 个工作坊中"
    "开展线上线下相结合的混合式研修，覆盖 1 市、7 县、1 区。",
)

BOTH, JUNIOR, SENIOR = ("初中", "高中"), ("初中",), ("高中",)


def _district(name: str, slug: str, description: str, weight: int, *schools: School) -> District:
    return District(Region(name, slug, description), weight, schools)


DISTRICTS = (
    _district(
        "兴义市",
        "xingyi",
        "黔西南州州府所在地，全州教研活动和线下集中研修的举办地。",
        124,
        School("兴义市第八中学", "xingyi-bazhong", BOTH),
        School("兴义市第一中学", "xingyi-yizhong", SENIOR),
        School("兴义市第五中学", "xingyi-wuzhong", JUNIOR),
    ),
    _district(
        "兴仁县",
        "xingren",
        "以城区学校带动乡镇学校，推进县域校本研修常态化。",
        76,
        School("兴仁县民族中学", "xingren-minzu", BOTH),
        School("兴仁县第一中学", "xingren-yizhong", SENIOR),
        School("兴仁县城南中学", "xingren-chengnan", JUNIOR),
    ),
    _district(
        "普安县",
        "puan",
        "茶乡普安，乡村学校占多数，重点支持乡村青年教师成长。",
        70,
        School("普安县第一中学", "puan-yizhong", SENIOR),
        School("普安县第二中学", "puan-erzhong", BOTH),
        School("普安县江西坡中学", "puan-jiangxipo", JUNIOR),
    ),
    _district(
        "晴隆县",
        "qinglong",
        "依托送教下乡和网络研修，缩小城乡学校之间的教学差距。",
        76,
        School("晴隆县三宝中学", "qinglong-sanbao", JUNIOR),
        School("晴隆县第一中学", "qinglong-yizhong", SENIOR),
        School("晴隆县第三中学", "qinglong-sanzhong", BOTH),
    ),
    _district(
        "贞丰县",
        "zhenfeng",
        "以课例研究为抓手，建设县级学科教研共同体。",
        66,
        School("贞丰县第一中学", "zhenfeng-yizhong", SENIOR),
        School("贞丰县民族中学", "zhenfeng-minzu", BOTH),
        School("贞丰县者相中学", "zhenfeng-zhexiang", JUNIOR),
    ),
    _district(
        "望谟县",
        "wangmo",
        "布依族聚居县，关注民族地区学生的语言学习与阅读习惯。",
        72,
        School("望谟县民族中学", "wangmo-minzu", SENIOR),
        School("望谟县第一中学", "wangmo-yizhong", BOTH),
        School("望谟县乐元中学", "wangmo-leyuan", JUNIOR),
    ),
    _district(
        "册亨县",
        "ceheng",
        "布依族文化之乡，推进本土化资源库建设。",
        69,
        School("册亨县民族中学", "ceheng-minzu", SENIOR),
        School("册亨县第一中学", "ceheng-yizhong", BOTH),
        School("册亨县丫他中学", "ceheng-yata", JUNIOR),
    ),
    _district(
        "安龙县",
        "anlong",
        "以名师工作室和工作坊联动，培养县级骨干培训者。",
        76,
        School("安龙县第一中学", "anlong-yizhong", SENIOR),
        School("安龙县第四中学", "anlong-sizhong", JUNIOR),
        School("安龙县招堤中学", "anlong-zhaodi", BOTH),
    ),
    _district(
        "义龙新区",
        "yilong",
        "新区学校发展快、青年教师多，以研修带动教师队伍建设。",
        93,
        School("义龙新区第一中学", "yilong-yizhong", BOTH),
        School("义龙新区顶效中学", "yilong-dingxiao", JUNIOR),
        School("义龙新区郑屯中学", "yilong-zhengtun", JUNIOR),
    ),
)

_GROUPS = {
    "语文": ("阅读教学研修小组", "写作教学研修小组", "古诗文教学研修小组"),
    "数学": ("函数教学研修小组", "几何直观研修小组", "数学建模研修小组"),
    "英语": ("听说教学研修小组", "读写结合研修小组", "语法教学研修小组"),
}
_STAGE_CODE = {"初中": "cz", "高中": "gz"}
_SUBJECT_CODE = {"语文": "yw", "数学": "sx", "英语": "yy"}
_DISTRICT_NAME = {d.region.slug: d.region.name for d in DISTRICTS}


def _workshop(district: str, subject: str, stage: str, description: str, hosts: int, groups: int) -> Workshop:
    name = f"{_DISTRICT_NAME[district]}{stage}{subject}工作坊"
    slug = f"{district}-{_STAGE_CODE[stage]}{_SUBJECT_CODE[subject]}"
    return Workshop(name, slug, district, subject, stage, description, hosts, _GROUPS[subject][:groups])


WORKSHOPS = (
    _workshop("xingyi", "语文", "初中", "聚焦整本书阅读教学，以“三备两打磨”的课例研究带动跨校研修。", 2, 3),
    _workshop("xingren", "语文", "初中", "围绕单元整体教学设计，开展同课异构与观课议课。", 1, 2),
    _workshop("anlong", "语文", "高中", "研讨高中语文学习任务群的设计与实施，积累优秀课例。", 1, 2),
    _workshop("wangmo", "语文", "初中", "关注民族地区学生的阅读与表达，开展写作教学微课研究。", 2, 3),
    _workshop("xingyi", "数学", "高中", "以数学核心素养为导向，研究函数与建模的教学。", 1, 2),
    _workshop("puan", "数学", "初中", "研讨信息技术与初中数学课堂的融合，分享课件与微课。", 1, 3),
    _workshop("zhenfeng", "数学", "初中", "从学生的错题出发，研究几何证明与代数运算的教学策略。", 2, 2),
    _workshop("qinglong", "英语", "初中", "研究初中英语听说课的活动设计，开展口语教学展示。", 1, 2),
    _workshop("ceheng", "英语", "初中", "以读写结合为主题，探索乡村学校英语阅读教学。", 1, 3),
    _workshop("yilong", "英语", "高中", "聚焦高中英语主题意义探究，开展大单元教学研讨。", 1, 2),
)

# Common surnames; the ones frequent in 黔西南 (布依族 and 苗族 families) appear twice.
SURNAMES = (
    "王王李李张刘陈陈杨杨黄黄赵吴吴周徐孙马朱胡郭何高林罗罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆陆汪范金石廖贾夏韦韦韦岑岑班班付方白邹孟熊秦邱江"
    "尹薛段雷侯龙龙史陶黎贺顾毛郝龚邵万严覃覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉萍红娟建国文辉力燕鹏飞春梅兰晓雪海林波"
    "宇浩然俊峰婷琳瑶雯欣怡佳慧敏捷志云龙凤霖晨阳光亮坤德昌荣贵兴仁义礼智信东南西北江河山川"
    "永康宁安庆祥福寿远航鑫淼诗雨彤琴凯旋斌颖琼莉蓉倩茜晶丹青松柏竹菊蕾薇璐露"
)

# Short profiles for some teachers: {school}, {subject}, {stage}, {years}.
BIOS = (
    "{school}{subject}教师，从教 {years} 年，喜欢带着学生读书。",
    "{stage}{subject}教师，教龄 {years} 年，正在尝试用思维导图上复习课。",
    "在{school}教{subject} {years} 年，县级骨干教师，关注课堂提问的设计。",
    "{school}{stage}{subject}教研组成员，希望和各校同行多交流课例。",
    "乡村学校{subject}教师，教龄 {years} 年，最近在做分层作业的设计。",
)

FIRST_WORKSHOP = WORKSHOPS[0]
SECOND_WORKSHOP = WORKSHOPS[1]
HOST_SCHOOL, LEADER_SCHOOL, TEACHER_SCHOOL = "xingyi-bazhong", "xingren-minzu", "qinglong-sanbao"
ADMIN_SCHOOL = "xingyi-bazhong"
DISTRICT_ADMIN_REGION = "xingyi"


class Login(NamedTuple):
    username: str
    role: str  # in Chinese, as the README lists it


def school_name(slug: str) -> str:
    return next(s.name for d in DISTRICTS for s in d.schools if s.slug == slug)


DEMO_LOGINS = (
    Login("admin", "平台管理员：创建区域、学校和工作坊，任命坊主和管理员"),
    Login("region", f"区域管理员（{CITY.name}教研员），管理全州的区域社区"),
    Login("school", f"学校管理员（{school_name(ADMIN_SCHOOL)}）"),
    Login("host", f"坊主（{FIRST_WORKSHOP.name}），有待审核的加入申请"),
    Login("leader", f"研修组长（{FIRST_WORKSHOP.name} · {FIRST_WORKSHOP.groups[0]}）"),
    Login("expert", f"学科专家（{CITY.name}，中学语文）"),
    Login("teacher", f"学员（{school_name(TEACHER_SCHOOL)}，{FIRST_WORKSHOP.name}成员），收到一份工作坊邀请"),
)

# Role holders who are not among the programme's teachers: (username, subject, bio).
STAFF = (
    ("admin", "", "研修社区平台管理员。"),
    ("region", "语文", f"{CITY.name}教育科学研究所教研员，负责本次工作坊研修项目。"),
    ("region_xingyi", "数学", "兴义市教研室中学数学教研员。"),
    ("expert", "语文", "中学语文学科专家，负责答疑和课程简报。"),
    ("expert_math", "数学", "中学数学学科专家，负责答疑和课程简报。"),
    ("expert_english", "英语", "中学英语学科专家，负责答疑和课程简报。"),
)
