"""What the demo's teachers say around shared resources: why they recommend one, why a
host declines one, answers to the region's calls, and comments under resources."""

from __future__ import annotations

# A teacher recommends a resource from her own space to her workshop.
WORKSHOP_NOTES = (
    "这份材料在我们学校两个班试用过，根据学生的反馈改了一稿，推荐给坊里的老师参考。",
    "上周教研组磨课时大家觉得这一版比较成熟，课堂流程写得完整，请坊主遴选。",
    "结合乡村学校学生的实际做了调整，练习分了层次，供同学段老师借鉴。",
    "这是我参加县里课堂教学比赛时的材料，评委提的意见已经改进去了。",
    "按坊里研讨的思路重新整理过，附了板书设计，希望对大家备课有帮助。",
)

DECLINE_REASON = "请补充教学反思后再推荐"

# A host recommends one of her workshop's best resources to the region.
HOST_NOTES = (
    "本坊老师推荐最多的一份，经过坊内两轮研讨打磨，适合全州同学段老师参考。",
    "体现了本坊“三备两打磨”的研修成果，结构完整，可以直接用于课堂。",
    "坊内几所学校试用后反馈较好，乡村学校也能用起来，推荐进入区域资源库。",
    "问题设计有层次，学生活动充分，是本坊这一阶段比较成熟的成果。",
)

# Answers to the region's calls (library.CALLS, in order).
CALL_NOTES = (
    (
        "在原设计中加入了一段写家乡风物的小练笔，附上了实施后的反思，参加本次征集。",
        "把学生收集的布依族歌谣用作课前导入，课后反思写在文档最后，请老师们指正。",
    ),
    (
        "这节课用 GeoGebra 动态演示突破难点，课件和设计都在里面，参加本次征集。",
        "用班班通上的智慧教育平台资源做了情境导入，附有课堂实录片段的说明。",
    ),
    (
        "按基础、提高、拓展三层设计，附了两个班的完成情况统计，参加本次征集。",
        "在乡村学校的实际使用版本，每层题量都做了控制，欢迎老师们提意见。",
    ),
)

# Comments under a resource, and the author's answers to them.
COMMENTS = (
    "下载看了，教学目标写得很具体，第二个活动我准备下周在班上试一试。",
    "谢谢分享！请问课后练习有没有分层的版本？我们班基础弱一些。",
    "问题链很有层次，学生能一步一步跟上来，已经收藏。",
    "我们学校班班通版本比较老，打开有点慢，建议把图片压缩一下。",
    "板书设计很清楚，准备拿到教研组里一起研讨。",
    "用了其中的任务单，学生参与度明显提高了，感谢！",
    "建议在评价环节加一个学生自评表，会更完整。",
    "同课异构的时候参考了这份材料，思路很受启发。",
    "资料很实用，乡村学校也能直接用起来。",
    "想请教一下，这节课实际用了多长时间？我估计一课时上不完。",
)

AUTHOR_REPLIES = (
    "谢谢老师的建议，我修改后再上传一版。",
    "实际用了一课时多一点，可以把拓展环节放到课后。",
    "欢迎交流，有问题也可以在坊里发帖讨论。",
    "感谢试用！学生完成情况如果方便，也请分享给我参考。",
)
