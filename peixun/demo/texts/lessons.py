"""The demo's lesson studies (课例研究, 三备两打磨; seeds 003 and 004): for each, the plan,
a first design (一备), the changes the group made in 二备 and 三备, what observers noted by
the dimensions of seed 004 in each lesson round, and for the studies that got that far the
summary, the self review and what other groups and judges wrote.

A design version is the first design with `changes` applied in turn: each change replaces
one line (old → new) or, when old is "", appends a line; every change is a real edit the
observations asked for, so the diff of two versions reads like the group's work.
"""

from __future__ import annotations

# The nine designs live in lesson_designs.py (kept apart to keep files small).
from peixun.demo.texts.lesson_designs import (  # noqa: F401
    BEIYING,
    CHUN,
    FANGCHENG,
    JINAN,
    MAO,
    MUYANGREN,
    QIUTIAN,
    SANBU,
    ZITENG,
    Change,
    Study,
)

PLAN_COMMENTS = (
    "建议第一次上课重点观察小组讨论环节，大家按四个维度分工记录。",
    "我来观察教学评价，主要记录老师对学生回答的评价语言。",
    "研究问题可以再聚焦一点，比如只看小组讨论前的独立思考时间。",
    "同意。上课时间定在周四第三节，请大家提前调课。",
)
PREP_COMMENTS = (
    "初稿的目标写得清楚，但第二个环节的时间有点紧。",
    "建议把讨论题改成有梯度的两个小问题，学困生也能说上话。",
    "评价设计可以加一个简单的量表，方便观课老师对照记录。",
)
LESSON_COMMENTS = (
    "今天的课整体顺畅，学生的发言比上周多。大家把观课记录尽快填上来。",
    "我坐在第三组旁边，记录了他们讨论的全过程，稍后整理到观课记录里。",
)

# By dimension, what observers write: first lesson (problems), second lesson (improvements).
NOTES_FIRST = {
    "goals": (
        "目标表述清楚，但第三个目标在课堂上没有落实到位。",
        "目标偏多，一节课难以全部完成。",
    ),
    "content": (
        "重点段落品读充分，拓展材料占用时间偏多。",
        "内容容量偏大，最后的小结比较仓促。",
    ),
    "methods": (
        "小组讨论前缺少独立思考的时间，部分小组偏题。",
        "讨论时多数小组只有一两个学生在说，其他人在听。",
    ),
    "evaluation": (
        "对小组汇报的评价比较笼统，多是“很好”“不错”。",
        "缺少对学生朗读的具体指导和评价。",
    ),
}
NOTES_SECOND = {
    "goals": (
        "目标调整后更集中，课堂基本达成。",
        "学生能用一两句话说出自己的体会，目标落实得较好。",
    ),
    "content": (
        "删减拓展后，重点段落品读得更深入。",
        "补充材料用得恰到好处，帮助学生理解了难点。",
    ),
    "methods": (
        "先独立思考再讨论，每个小组都有具体的发现，汇报质量明显提高。",
        "轮流发言的规则很有效，第三组的两位内向学生也发言了。",
    ),
    "evaluation": (
        "三级评价要求清楚，学生互评有依据。",
        "教师评价更具体了，能指出学生回答好在哪里。",
    ),
}
CLASSROOM_NOTES_FIRST = (
    "08:35 小组讨论，第三组偏题\n08:41 第一组汇报，只有组长发言\n08:52 拓展材料读完后下课铃响",
    "14:05 导入用时 5 分钟，超出预设\n14:20 指名朗读 3 人，评价均为“很好”\n14:38 小结仓促",
)
CLASSROOM_NOTES_SECOND = (
    "08:33 学生独立标画，约 3 分钟\n08:37 小组交流，每组都有记录员\n08:49 第三组补充了“攀”字的读法",
    "14:08 同桌互读，用评价单互评\n14:25 配乐展示读，全班鼓掌\n14:40 按时完成小结",
)

SUMMARY = """## 研究问题

{question}

## 我们做了什么

围绕“{theme}”，{teacher}老师执教《{lesson}》，我们经历了三次备课、两次上课和观课：

1. 一备：{teacher}老师根据个人经验完成初稿。
2. 第一次上课后，观课老师按教学目标、教学内容、教学方法与手段、教学评价四个维度分工记录，发现小组讨论前缺少独立思考的时间，讨论流于形式。
3. 二备：全组协同修改，讨论前增加 3 分钟的独立默读和标画，并为小组汇报设计了评价要求。
4. 第二次上课，四个维度的平均分都有提高，教学方法与手段提高最多。
5. 三备：根据第二次观课的建议调整拓展环节，形成定稿。

## 我们的收获

- 讨论前的独立思考不是浪费时间，而是讨论有内容的前提。
- 观课分工要具体到维度和学生，记录才有用。
- 评价要求提前告诉学生，汇报和互评都有了依据。

## 后续改进

下学期把“先独立、后合作”的做法推广到其他课型，并继续观察学困生在小组中的表现。
"""

SELF_REVIEW = """本组围绕“{theme}”开展了完整的三备两打磨，三次教学设计都有观课依据，两次上课的观课记录完整。

第二次上课在教学方法与手段、教学评价两个维度提高明显；不足是第一次观课分工不够细，个别维度只有一人记录。后续我们会在分工时落实到每个维度两人。"""

PEER_COMMENTS = (
    "三次备课的修改都有观课依据，二备对小组讨论的调整很有借鉴价值。建议总结中补充学困生的变化。",
    "观课记录翔实，两次上课的对比清楚。拓展环节的修改理由可以写得更充分一些。",
    "研究问题聚焦，课堂改进看得见。课堂实录的时间节点记录得很好，值得推广。",
)
JUDGE_COMMENTS = (
    "研究问题来自课堂的真实困惑，三备两打磨过程完整，改进有据可查，推荐参加市级评选。",
    "案例结构清晰，观课议课扎实；总结中的经验具有推广价值。",
)
ENTRY_STATEMENT = "本组课例经过三次备课、两次上课，第二次上课四个维度均有提高，特此自荐。"
PEER_TITLE = "{workshop}第一阶段课例组互评"
PEER_DESCRIPTION = (
    "各研修小组完成课例研究并自评后自荐参加。评审人由坊主分配，不评本组课例，按评分细则打分并写出评语。"
)
COUNTY_TITLE = "兴义市初中语文优秀课例评选"
COUNTY_DESCRIPTION = "面向全市各学校、工作坊的初中语文课例研究案例。获奖课例择优推荐参加州级评选。"
CITY_TITLE = "黔西南州优秀课例评选"
CITY_DESCRIPTION = "由各县（市、区）推荐，州级评审组评审，评选结果在区域社区公示。"
