"""英语 resources the workshops share: 听说课 and 阅读课 designs, 读写结合课例, 词汇检测, 微课, 反思, 论文, 读后续写讲义.

One dict per resource with DemoResource's fields except the subject (peixun.demo.library);
the document is `body`: "## " starts a section (a slide), every other line is a paragraph
(a bullet); a spreadsheet's body is rows of cells separated by " | ", the header first.
"""

from __future__ import annotations

RESOURCES = (
    dict(
        title="Unit 3 I'm more outgoing than my sister. Section A 听说课教学设计",
        description="八年级上册 Unit 3 Section A 的听说课设计，目标语言是形容词比较级。我把听力材料改成了**“给交换生选同桌”**的任务情境，学生要先听、再比较、最后推荐，说的时候就有了真实的理由。附板书和课后反思。",
        stage="初中",
        type="教案",
        tags=("听说课", "比较级", "Go for it", "任务型教学"),
        format="docx",
        body="""
## Teaching Objectives
1. Students can use comparatives such as taller, more outgoing and funnier to compare two people.
2. Students can get key information about people's appearance and personality while listening.
3. Students learn to see the strengths of their classmates and friends.

## 教学重难点
重点：掌握形容词比较级的构成和 than 引导的比较句型。
难点：多音节形容词比较级（more outgoing, more hard-working）和不规则变化的运用。

## 教学过程
Warming up（3 分钟）：教师展示两张学生熟悉的卡通人物图片，提问 Who is taller? Who is funnier? 自然引出比较级。
Presentation（8 分钟）：借助图片和动作呈现 outgoing、quiet、hard-working 等词，学生跟读并归纳比较级的构成规则。
Listening（12 分钟）：完成 1b、2a、2b 的听力任务；第二遍听时，学生用表格记录两个人物在外貌和性格上的不同。
Pair work（10 分钟）：情境任务——学校来了一位交换生，请学生从两位同学中为他推荐一位同桌，用 I think ... is better because he is more ... than ... 说明理由。
Summary（5 分钟）：学生总结比较级的规则，教师补充 good-better、bad-worse 等不规则变化，布置作业：写五句话比较自己和家人。

## 板书设计
Unit 3 I'm more outgoing than my sister.
tall → taller　funny → funnier
outgoing → more outgoing
A is + 比较级 + than B.

## 教学反思
“选同桌”的情境让学生有话可说，平时不开口的几个学生也举手推荐了自己的好朋友。不足是听力环节占时偏多，Pair work 只有一半的小组完成了展示。下次听力第三遍可以改为课后完成。
""",
    ),
    dict(
        title="Unit 2 I'll help to clean up the city parks. 阅读课课件（志愿服务主题）",
        description="八年级下册 Unit 2 Section B 阅读课的课件，主题是志愿服务。读前用学校“关爱留守儿童”志愿队的照片导入，读后让学生为自己的村子设计一个志愿活动。课件按 **pre-reading / while-reading / post-reading** 三段组织，问题链都写在备注里了。",
        stage="初中",
        type="课件",
        tags=("阅读课", "志愿服务", "主题意义", "Go for it"),
        format="pptx",
        body="""
## Lead-in
What can you do to help others?
Look at the photos of our school volunteer team
Have you ever helped someone? How did you feel?

## Pre-reading: Predict
Read the title and look at the pictures
Who are the people in the passage?
What do you think they do as volunteers?

## While-reading: Fast reading
Read quickly and match each paragraph with its main idea
Paragraph 1: a student who helps at an animal hospital
Paragraph 2: a student who teaches children to read

## While-reading: Careful reading
Why did they become volunteers?
What did they learn from the work?
Find sentences with want to, decide to, hope to

## Post-reading: Our village
Work in groups of four
Plan a volunteer activity for your village
Use: We could ... / We'll ... / We hope to ...

## Homework
Write a short passage about your plan (80 words)
Share it in our class group
Vote for the best plan next Monday
""",
    ),
    dict(
        title="读写结合课例：My Hometown（三备两打磨）",
        description="我们读写结合研修小组用三周时间磨的一节写作课。学生写自己的家乡**册亨**，一备时满纸都是 beautiful 和 good；二备后我们加了阅读范文、提炼结构、词块积累三个环节。两次习作的对比统计放在报告里了，进步很明显。",
        stage="初中",
        type="课例",
        tags=("三备两打磨", "读写结合", "写作教学", "家乡"),
        format="docx",
        body="""
## 研究主题
研究问题：乡村初中学生英语写作“无话可写、有话写不出”，怎样通过阅读为写作搭建支架？课题为九年级复习单元的话题写作“My Hometown”，执教者为本组教师，全组五人参与。

## 一备：独立备课
执教老师先给出写作要求和评分标准，再展示一篇范文，然后学生独立写作。教学环节简单，写作时间充足。

## 第一次上课与观课
收上来的 46 篇习作中，平均字数 52 词；使用 beautiful、good、nice 等笼统形容词的有 39 篇；能写出家乡具体事物（如节日、食物、风景）的只有 11 篇。观课老师记录到，学生写作时频繁翻词典，很多时间花在查单词上。

## 二备：协同备课
小组决定把一节课改为“以读促写”：先读一篇介绍贵州小城的短文，找出文章的结构（where—what—why）；再分组头脑风暴，用英语说出家乡的事物，如 Buyi songs、five-colour sticky rice、the Beipan River；最后提供词块，如 be famous for、it is worth visiting。

## 第二次上课与观课
平行班 45 篇习作平均字数 86 词；能写出家乡具体事物的有 34 篇；有 12 篇使用了两个以上的词块。一位学生写道：Ceheng is famous for its Buyi culture. You can hear the Bayin music at festivals.

## 三备与结论
执教老师把“读范文找结构—说家乡积累素材—用词块写作”固定为写作课的基本流程。小组的结论是：乡村学生不是没有可写的东西，而是缺少把熟悉的生活变成英语的支架；阅读提供结构，词块提供语言，生活提供内容。
""",
    ),
    dict(
        title="Unit 1–2 单元词汇与句型检测",
        description="八年级上册第一、二单元的词汇与句型小测，共 10 题，十分钟可以完成。题目都放在句子语境里，不考孤立的单词拼写。答案和分值都在表里，老师们可以直接用，也可以改成课前检测。",
        stage="初中",
        type="试题",
        tags=("词汇", "句型", "单元检测", "语境"),
        format="xlsx",
        body="""
题号 | 题型 | 题目 | 答案 | 分值
1 | 单词填空 | Did you go anywhere interesting on v____? | vacation | 1
2 | 单词填空 | We took quite a few photos of the b____ mountains. | beautiful | 1
3 | 单词填空 | How often do you e____? — Twice a week. | exercise | 1
4 | 用所给词的适当形式填空 | My mother wants me ____ (drink) milk every day. | to drink | 2
5 | 用所给词的适当形式填空 | I ____ (go) to the beach with my family last summer. | went | 2
6 | 用所给词的适当形式填空 | She ____ (not go) to the movies last weekend. | didn't go | 2
7 | 单项选择 | — ____ did you go to Guiyang? — By train.  A. How  B. What  C. When | A | 2
8 | 单项选择 | There is ____ in today's newspaper.  A. new something  B. something new  C. anything new | B | 2
9 | 句型转换 | I went to the zoo yesterday.（改为一般疑问句） | Did you go to the zoo yesterday? | 3
10 | 句型转换 | She watches TV twice a week.（对划线部分 twice a week 提问） | How often does she watch TV? | 3
""",
    ),
    dict(
        title="微课：一般过去时 -ed 的三种读音",
        description="学生学一般过去时，写得对，读得错：played 读成 play-ed，wanted 又漏了一个音节。这节 5 分钟的微课只讲一件事——**-ed 的三种读音和判断方法**，配了绕口令式的练习，学生很爱跟读。",
        stage="初中",
        type="微课",
        tags=("一般过去时", "语音", "微课", "发音"),
        format="pptx",
        body="""
## 你读对了吗？
played　watched　wanted
三个词，-ed 的读音都不一样
今天用 5 分钟弄明白

## 规则一：/t/
在清辅音（/t/ 除外）后读 /t/
watched, helped, washed, looked
口诀：清对清

## 规则二：/d/
在浊辅音（/d/ 除外）和元音后读 /d/
played, cleaned, stayed, called
口诀：浊对浊

## 规则三：/ɪd/
在 /t/ 和 /d/ 后读 /ɪd/
wanted, needed, visited, decided
多出一个音节

## 跟我读
I watched TV and played games.
We visited the museum and looked at the paintings.
She wanted to go, but she needed to study.
""",
    ),
    dict(
        title="听说课“小组角色卡”实践反思",
        description="我们学校的学生英语基础弱，听说课上最大的问题是不敢开口。这学期我在对话练习中用了“小组角色卡”，一个月下来主动开口的学生从五六个增加到二十多个。这篇反思写了做法，也写了**课堂纪律**这个没完全解决的问题。",
        stage="初中",
        type="反思",
        tags=("听说课", "角色卡", "口语教学", "教学反思"),
        format="docx",
        body="""
## 背景
我所在的学校是一所乡镇中学，大部分学生是留守儿童，小学阶段英语课开得不正常。到了初中，很多学生听得懂一些，但一让开口就低头，怕说错被同学笑话。

## 角色卡怎么做
每组四人，每人一张卡片，正面写角色和任务，比如 shop assistant：你要向顾客推荐一件衣服；customer：你只有 50 元。卡片背面有提示句型，不会说的可以看。
每练完一轮，组内交换卡片，保证每个人都当过每个角色。最后每组选一段对话到前面表演，表演的人由老师抽签决定。

## 变化
最大的变化是学生敢说了。因为有角色，说错了也是“角色”说错了，不是自己丢脸。背面的提示句型就像一根拐杖，基础弱的学生先照着读，读熟了就慢慢丢开了。

## 问题与改进
问题是课堂声音太大，纪律不好控制，隔壁班老师还来提过意见。后来我和学生约定了一个手势：老师举起手，全班停下来看老师。现在基本能做到十秒内安静。
另一个问题是角色卡的制作比较费时间。想在工作坊里发起一个共享，大家按单元分工做角色卡，做好了放到资源库里共用。
""",
    ),
    dict(
        title="读写结合在乡村初中英语阅读教学中的实践研究",
        description="这篇论文总结了我们册亨县两所乡村初中一年来开展读写结合教学的做法和效果。核心观点是：**阅读是写作的输入，写作是阅读的检验**，乡村学生尤其需要这样的“读—写”闭环。文中的课例和学生习作都来自真实课堂。",
        stage="初中",
        type="论文",
        tags=("读写结合", "阅读教学", "乡村教育", "写作"),
        format="pdf",
        body="""
## 摘要
乡村初中英语阅读教学普遍存在“重语言知识、轻语篇理解、缺少输出”的问题。本文以册亨县两所乡村初中为例，介绍以读促写的三种课型，即仿写课、续写课和主题写作课，并通过前后测对比分析其效果。结果表明，读写结合能有效提高学生的写作字数和语言质量，也提升了学生的阅读兴趣。
关键词：读写结合；乡村初中；英语阅读；写作支架

## 一、问题的提出
在乡村初中，英语阅读课常常上成了语言点讲解课：老师逐句翻译、讲解语法，学生埋头记笔记。读完了，语篇的结构和作者的意图学生并不清楚；写作课又单独安排，学生拿到题目无从下笔。阅读和写作各走各的路。

## 二、三种读写结合课型
（一）仿写课：分析阅读语篇的结构和关键句型，学生仿照结构写一篇同话题的短文，适合七年级。
（二）续写课：读一个故事的前半部分，学生续写结尾，重点训练逻辑和想象，适合八年级。
（三）主题写作课：围绕单元主题读两到三篇语篇，整合信息，写出自己的观点，适合九年级。

## 三、实践效果
一学年后，两校实验班学生的期末写作平均得分由 7.2 分提高到 9.6 分（满分 15 分），平均字数由 48 词增加到 79 词；问卷显示，认为“英语阅读有意思”的学生比例由 31% 提高到 57%。

## 四、思考
读写结合并不是在阅读课最后加十分钟写作。关键在于读的时候就为写做准备：读结构、读语言、读观点。乡村学生词汇量小，教师要提供足够的词块和句型支架，并且允许学生先写短、写简单，再逐步提高要求。
""",
    ),
    dict(
        title="高中英语读后续写专题讲义",
        description="读后续写是高考英语的新题型，我们高一学生普遍觉得难。这份讲义从**读懂原文、设计情节、语言衔接**三个方面讲方法，配了两篇原创练习材料和评分要点。讲义里的例句大多来自学生习作的修改稿。",
        stage="高中",
        type="讲义",
        tags=("读后续写", "写作", "高考题型", "主题意义"),
        format="pdf",
        body="""
## 什么是读后续写
题目提供一篇 350 词以内的记叙文，删去结尾部分，并给出两段续写的首句，要求学生续写 150 词左右，使之构成一个完整的故事。评分看内容是否与原文融洽、情节是否合理、语言是否丰富准确、衔接是否自然。

## 第一步：读懂原文
用 5W1H 梳理原文：Who、When、Where、What、Why、How。特别注意人物的情绪变化和文中埋下的伏笔，比如一开始提到的一只旧手表、一条没走过的小路，往往就是续写的关键。

## 第二步：设计情节
根据两段首句推断每一段要写什么：第一段首句通常承接冲突，第二段首句通常指向结局。情节要与原文的主题一致，避免出现超级英雄式的大转折。

## 第三步：语言与衔接
多用动作描写和心理描写代替直接陈述。例如，与其写 She was very nervous，不如写 Her hands were shaking as she held the letter. 段与段之间用时间、地点或情绪的变化自然过渡。

## 练习材料一（节选）
Li Ming had never been to the mountains before. When his class decided to plant trees on the hills near the village, he was the first to sign up. But on the way up, the path became narrow and the rain began to fall.
续写首句一：Li Ming stopped and looked back at his classmates.
续写首句二：When they finally reached the top, the rain had stopped.

## 评分要点
内容：续写与原文情节、人物性格一致，两段首句衔接自然。语言：使用恰当的动作、心理和环境描写，句式有变化。结构：情节完整，有合理的结局，能体现团结、坚持等主题。
""",
    ),
    dict(
        title="必修第一册 Unit 1 Teenage Life · Reading and Thinking 教学设计",
        description="高一第一单元阅读课的设计，我们工作坊大单元教学研讨的展示课之一。语篇写一名高中新生入学初期遇到的困惑和挑战，和学生自身经历高度贴合。设计用**主题意义探究**的思路，从“他遇到了什么”走到“我该怎么面对”。",
        stage="高中",
        type="教案",
        tags=("主题意义探究", "大单元教学", "阅读课", "Teenage Life"),
        format="docx",
        body="""
## Teaching Objectives
1. Students can get the main idea and the structure of the passage about a freshman's first week.
2. Students can analyse the writer's challenges and feelings by finding key words and sentences.
3. Students can reflect on their own challenges in senior high school and share ways to deal with them.

## 教学重难点
重点：梳理语篇结构，提取新生遇到的挑战和应对方式。
难点：从个人经历上升到主题意义，引导学生形成积极面对挑战的态度。

## 教学过程
Lead-in（4 分钟）：学生用三个词描述自己进入高中第一周的感受，教师在黑板上做词云。
Skimming（6 分钟）：快速阅读，找出作者遇到的主要挑战，并与每段的中心句对应。
Scanning（12 分钟）：细读语篇，完成表格：挑战、作者的感受、作者的做法、给作者的建议；关注表达情绪的词语。
Discussion（13 分钟）：小组讨论——你在高中遇到的最大挑战是什么？你打算怎样面对？每组推选一位同学分享。
Summary and homework（5 分钟）：学生总结本课收获；课后给三年后的自己写一封短信。

## 板书设计
Teenage Life: A Freshman's Challenge
Challenges → Feelings → Actions → Growth
nervous · confused · confident
Face challenges, grow up.

## 教学反思
词云导入很快调动了气氛，nervous 和 tired 出现得最多。表格任务帮助学生抓住了语篇结构，但讨论环节有的小组用中文讨论较多，下次要给出讨论用的功能句型支架。
""",
    ),
    dict(
        title="中国日报双语新闻：英语阅读素材",
        description="推荐中国日报网的双语频道，新闻短小、有中英对照，还有热词解释。我每周从里面选一篇和单元主题相关的新闻，作为高中英语的课前阅读材料，学生读得很有兴趣。",
        stage="高中",
        type="其他",
        tags=("阅读素材", "双语新闻", "课外阅读"),
        format="link",
        url="https://language.chinadaily.com.cn/",
    ),
)
