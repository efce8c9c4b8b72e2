"""Requests per second for a thread of 2,000 replies and a thread list, against a Flask hello-world.

Both apps are served by gunicorn with the same settings and loaded in the same run (wrk, or a
small threaded Python client without it); the ratio to hello-world is the figure that matters.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, event, update
from werkzeug.security import generate_password_hash

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `python bench/threads.py` from the project root finds bench

from bench.generate import PASSWORD, Community, insert_rows, person_name, tables  # noqa: E402
from bench.pages import (  # noqa: E402
    OUT,
    ROOT,
    SERVER,
    Statements,
    _span,
    analyse,
    database_url,
    describe,
    drop_database,
    make_app,
    sign_in,
)
from peixun.core.markdown import RENDERER_VERSION, render  # noqa: E402
from peixun.core.policy import HOST  # noqa: E402
from peixun.core.vocab import DEFAULT_STAGES as STAGES  # noqa: E402
from peixun.core.vocab import DEFAULT_SUBJECTS as SUBJECTS  # noqa: E402
from peixun.extensions import db  # noqa: E402
from peixun.spaces.models import REGION, WORKSHOP  # noqa: E402
from peixun.threads.models import KIND_LABELS, QUESTION, REPLIES_PER_PAGE, TOPIC, Like, Post, Thread  # noqa: E402

PG_DATABASE = "peixun_bench_threads"
SEED = 2026
MEMBERS = 80  # the workshop's teachers, two of them hosts
REPLIES = 2_000  # in the long thread
THREADS = 500  # more threads in the same workshop, for the list
LIST_REPLIES = 12  # each of them has 0 to this many replies
LIKED = 0.3  # share of posts that have likes (1 to 6 each)

# Markdown as teachers write it: rendered once each, as threads.service would, and reused.
OPENING_TITLE = "大单元教学中如何创设真实情境？（第12期话题）"
OPENING = """## 本期话题

新课标强调“在真实情境中解决问题”。这一期请各位老师结合自己的课堂，谈谈大单元教学中**真实情境**的创设：

1. 情境从哪里来？学生的生活、社会热点，还是学科史？
2. 一个情境能否贯穿整个单元，而不只是导入的五分钟？
3. 怎样判断情境是“真实”的，而不是为了情境而情境？

> 情境不是教学的装饰，而是知识生长的土壤。

请在回复中附上您的单元设计片段，工作坊会把优秀回复设为精华。"""

OPENINGS = [
    """这学期我们教研组在尝试“教—学—评”一致的作业设计，遇到一个困惑：**分层作业**布置下去后，
选择基础层的学生越来越多，部分学生明显在回避挑战。

想请教各位老师：

- 分层作业由学生自选还是教师指定？
- 怎样让学生愿意尝试更高一层的任务？

欢迎分享具体做法。""",
    """上周听了一节八年级物理公开课《浮力》，课堂观察记录整理如下，供大家研讨。

教师用“鸡蛋在清水和盐水中的沉浮”导入，学生分组实验、汇报。全课学生发言 34 人次，
其中**追问**只有 3 次，多数讨论停留在现象描述。

> 课堂上的热闹不等于思维的发生。

请大家从提问设计的角度谈谈改进建议。""",
    """分享我校本学期校本研修的安排，请各位同行指正：

| 周次 | 研修主题 | 形式 |
|---|---|---|
| 第3周 | 新课标解读 | 专题讲座 |
| 第6周 | 单元整体教学设计 | 同课异构 |
| 第9周 | 课堂观察工具的使用 | 听评课 |
| 第12周 | 作业设计与评价 | 案例研讨 |

每次活动后，参与教师在个人空间提交一篇研修日志。""",
]

REPLY_BODIES = [
    """我们七年级语文组这学期做了“家乡的桥”单元：学生先实地走访村里的三座老桥，记录桥名的来历，
再回到课堂读《中国石拱桥》和《桥之美》。整个单元的任务是给县文旅局写一份介绍家乡老桥的解说词，
最后真的有两篇被采用了。学生的投入程度和以往完全不同，连平时不爱发言的几个孩子都主动去采访了老人。""",
    """> 一个情境能否贯穿整个单元，而不只是导入的五分钟？

我觉得关键在于**任务**而不是情境本身。情境只是背景，驱动性任务才能把各个课时串起来。
我们数学组的做法是：单元开始就把最终任务告诉学生，每节课结束前用三分钟回到任务，
看看今天学的东西解决了任务中的哪一步。""",
    """分享一下我们学校的单元设计模板，供大家参考：

- **单元主题**：用一句话说清楚学生要解决的真实问题
- **核心任务**：一个贯穿单元的表现性任务
- **子任务**：3—5 个，每个对应 1—2 课时
- **评价量规**：学生在任务开始前就能看到
- **课后反思**：每个子任务结束后记录学生的困难

模板在工作坊资源区可以下载，欢迎提出修改意见。""",
    """赞同楼上的看法。补充一点：情境的难度要分层，农村学校的学生对一些城市生活情境并不熟悉，
直接照搬教材案例效果不好，最好换成学生身边的事。""",
    """我把上周的课堂观察数据整理了一下：

| 课时 | 情境任务 | 参与发言人数 | 完成任务比例 |
|---|---|---|---|
| 第1课时 | 调查校园垃圾分类 | 18 | 62% |
| 第2课时 | 设计分类宣传海报 | 26 | 81% |
| 第3课时 | 向低年级同学讲解 | 31 | 90% |

可以看出，任务越接近真实的交流对象，学生的参与度越高。""",
    """推荐大家读一读[义务教育课程方案和课程标准（2022年版）](http://www.moe.gov.cn/srcsite/A26/s8001/202204/t20220420_619921.html)，
其中对“情境”一词的用法值得细读。另外，本期话题里提到的第 3 个问题，我认为判断标准是：
**学生离开课堂后，这个问题是否依然存在**。""",
]

TOPICS = [
    "大单元教学设计中的核心任务怎么提炼",
    "双减背景下的分层作业设计交流",
    "课堂观察量表的使用心得",
    "整本书阅读的推进策略",
    "跨学科主题学习如何落地",
    "小组合作学习中的“搭便车”现象",
    "新课标背景下的评价改革",
    "农村学校实验教学的困难与对策",
    "信息技术与学科教学深度融合的案例",
    "如何指导学生写好研修日志",
    "同课异构活动的组织经验",
    "复习课怎样上出新意",
    "作文讲评课的几点做法",
    "课后服务课程的开发",
    "校本研修成果如何提炼",
]
QUESTIONS = [
    "学生课堂上不愿意发言怎么办",
    "分层作业应该由学生自选还是教师指定",
    "单元教学目标怎样写才可评价",
    "听评课时应该重点观察什么",
    "新教师如何快速站稳讲台",
]


@dataclass
class Site:
    """What the load needs to know about the generated workshop."""

    teacher: str
    password: str
    workshop: str
    thread: int
    replies: int
    rows: dict[str, int] = field(default_factory=dict)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--server", default=os.environ.get("PEIXUN_BENCH_PG_URL", SERVER))
    parser.add_argument("--seconds", type=int, default=10, help="load per URL")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--python-client", action="store_true", help="the Python client even if wrk is here")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.set_defaults(reuse=False)  # for bench.pages.database_url
    return parser.parse_args()


# --- the workshop -----------------------------------------------------------------------


class Discussion:
    """Threads, posts and likes as threads.service writes them, with the community's clock."""

    def __init__(self, c: Community, workshop: dict, members: list[int], rng: random.Random) -> None:
        self.c, self.workshop, self.members, self.rng = c, workshop, members, rng
        self.threads: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self.likes: list[dict[str, Any]] = []
        self.accepted: list[dict[str, int]] = []
        self.liked: set[tuple[int, int]] = set()
        self.html: dict[str, str] = {}

    def post(self, thread: dict, author: int, body: str, opening: bool = False) -> dict:
        if body not in self.html:
            self.html[body] = render(body)
        at = self.c.now()
        row = {
            "id": len(self.posts) + 1,
            "thread_id": thread["id"],
            "author_id": author,
            "is_opening": opening,
            "body": body,
            "body_html": self.html[body],
            "renderer_version": RENDERER_VERSION,
            "edited_at": None,
            "form_key": secrets.token_urlsafe(32),
            "deleted_at": None,
            "is_held": False,
            "created_at": at,
        }
        self.posts.append(row)
        thread["last_activity_at"] = at
        if self.rng.random() < LIKED:
            for user in self.rng.sample(self.members, self.rng.randint(1, 6)):
                self.like(row, user)
        return row

    def like(self, post: dict, user: int) -> None:
        if user == post["author_id"] or (post["id"], user) in self.liked:
            return
        self.liked.add((post["id"], user))
        self.likes.append(
            {
                "id": len(self.likes) + 1,
                "post_id": post["id"],
                "user_id": user,
                "created_at": post["created_at"] + timedelta(minutes=self.rng.randint(1, 600)),
            }
        )

    def thread(self, author: int, kind: str, title: str, body: str, **flags: bool) -> dict:
        """start_thread: the thread, its opening post and the "thread.started" activity line."""
        at = self.c.now()
        row = {
            "id": len(self.threads) + 1,
            "space_id": self.workshop["id"],
            "author_id": author,
            "kind": kind,
            "title": title,
            "is_public": True,
            "is_featured": flags.get("featured", False),
            "is_pinned": flags.get("pinned", False),
            "is_locked": False,
            "hidden_reason": None,
            "is_held": False,
            "accepted_post_id": None,  # set after the posts exist (a foreign key both ways)
            "last_activity_at": at,
            "created_at": at,
        }
        self.threads.append(row)
        self.post(row, author, body, opening=True)
        self.c.record(self.workshop, author, "thread.started", f"{KIND_LABELS[kind]}：{title}", row["id"])
        return row

    def replies(self, thread: dict, count: int) -> list[dict]:
        return [
            self.post(thread, self.rng.choice(self.members), self.rng.choice(REPLY_BODIES))
            for _ in range(count)
        ]


def plan(password_hash: str) -> tuple[Community, Discussion, Site]:
    rng = random.Random(SEED)
    c = Community()
    admin = c.add_user("admin", "平台管理员", password_hash, is_admin=True)
    province = c.add_space(REGION, "贵州省", "guizhou", None, region_level="province")
    city = c.add_space(REGION, "贵阳市", "city-1", province, region_level="city")
    county = c.add_space(REGION, "清镇市", "county-1-1", city, region_level="county")
    subject, stage = SUBJECTS[0], STAGES[1]
    workshop = c.add_space(
        WORKSHOP,
        f"清镇市{stage}{subject}名师工作坊",
        "ws-threads",
        county,
        subject=subject,
        stage=stage,
        description=f"清镇市{stage}{subject}教师网络研修工作坊。",
    )
    members = []
    for n in range(1, MEMBERS + 1):
        user = c.add_user(f"teacher{n:06d}", person_name(rng), password_hash, subject=subject, stage=stage)
        members.append(user)
        if n <= 2:
            c.appoint(workshop, user, HOST)
        else:
            c.add_member(workshop, user, invited_by=admin)
    viewer = members[9]  # a plain member

    d = Discussion(c, workshop, members, rng)
    used = {QUESTION: 0, TOPIC: 0}
    for n in range(THREADS):
        question = n % 5 == 4
        kind, names = (QUESTION, QUESTIONS) if question else (TOPIC, TOPICS)
        round_, index = divmod(used[kind], len(names))
        used[kind] += 1
        title = names[index] + ("？" if question else "") + (f"（{round_ + 1}）" if round_ else "")
        thread = d.thread(
            rng.choice(members),
            kind,
            title,
            rng.choice(OPENINGS),
            featured=n % 17 == 0,
            pinned=n < 2,
        )
        replies = d.replies(thread, rng.randint(0, LIST_REPLIES))
        if question and replies and n % 2:
            d.accepted.append({"thread": thread["id"], "post": replies[0]["id"]})
    # The long thread comes last, so it leads the list by latest activity.
    long = d.thread(members[1], TOPIC, OPENING_TITLE, OPENING, featured=True)
    for number, reply in enumerate(d.replies(long, REPLIES)):
        if number % 7 == 0:  # the viewer's own likes show on every page
            d.like(reply, viewer)
    site = Site(
        teacher=c.users[viewer - 1]["username"],
        password=PASSWORD,
        workshop=workshop["slug"],
        thread=long["id"],
        replies=REPLIES,
    )
    return c, d, site


def build(app: Any) -> tuple[Site, float]:
    from flask_migrate import upgrade

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])
        c, d, site = plan(password_hash)
        site.rows = insert_rows([*tables(c), (Thread, d.threads), (Post, d.posts), (Like, d.likes)])
        table = Thread.__table__
        db.session.execute(
            update(table).where(table.c.id == bindparam("thread")).values(accepted_post_id=bindparam("post")),
            d.accepted,
        )
        db.session.commit()
        analyse()
    return site, time.perf_counter() - started


# --- serving and load ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on 127.0.0.1 and a free port; its log goes to bench/out/."""

    def __init__(self, name: str, module: str, cwd: Path, env: dict[str, str]) -> None:
        self.name, self.port = name, free_port()
        self.log = OUT / f"gunicorn-{name}.log"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "--workers", "2", "--worker-class", "sync"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--error-logfile", str(self.log)]
        # gunicorn 27's control socket has one default path: two servers would share it.
        command += ["--no-control-socket", module]
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                get(self.port, "/", "")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def get(
    port: int, path: str, cookie: str, conn: http.client.HTTPConnection | None = None
) -> tuple[int, bytes]:
    """One GET, on the given (kept) connection or on a new one that is closed afterwards."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


@dataclass
class Load:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int


def wrk(url: str, cookie: str, seconds: int, connections: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{url}: errors under load\n{out}")
    latency = {
        p: _ms(v, unit) for p, v, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    return Load(
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        latency.get("50"),
        latency.get("99"),
        int(re.search(r"(\d+) requests in", out).group(1)),
    )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def python_load(url: str, cookie: str, seconds: int, connections: int) -> Load:
    """One thread per connection, http.client, for `seconds`; every response must be a 200."""
    port, path = int(url.split(":")[2].split("/")[0]), "/" + url.split("/", 3)[3]
    times: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def worker(mine: list[float]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (begin := time.perf_counter()) < deadline:
            try:
                status, _ = get(port, path, cookie, conn)
            except (OSError, http.client.HTTPException) as error:
                failures.append(repr(error))
                return
            mine.append(time.perf_counter() - begin)
            if status != 200:
                failures.append(f"status {status}")
                return

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in times]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{url}: {failures[0]} under load")
    ordered = sorted(t for mine in times for t in mine)

    def rank(q: float) -> float:
        return ordered[math.ceil(q * len(ordered)) - 1] * 1000

    return Load(len(ordered) / elapsed, rank(0.5), rank(0.99), len(ordered))


# --- other work on the machine --------------------------------------------------------------

CLOCK = os.sysconf("SC_CLK_TCK")


class Others:
    """CPU the rest of the machine used during a load window, in cores.

    All busy CPU (/proc/stat) minus this process and its reaped children (wrk), the gunicorn
    servers and their workers, and the PostgreSQL backends serving the benchmark database.
    Another job on the 2 cores shows up here, and its row is then not worth comparing.
    """

    def __init__(self, mine: set[int]) -> None:
        self.mine = mine | _children(mine)
        self.started = time.perf_counter()
        self.busy, self.theirs, self.own = _busy(), _cpu(self.mine), _own()

    def cores(self) -> float:
        ours = _cpu(self.mine) - self.theirs + _own() - self.own
        return max(0.0, (_busy() - self.busy - ours) / (time.perf_counter() - self.started))


def _busy() -> float:
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK  # all but idle and iowait


def _own() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu(pids: set[int]) -> float:
    return sum(int(f[11]) + int(f[12]) for pid in pids if (f := _stat(pid))) / CLOCK  # utime, stime


def _children(parents: set[int]) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (f := _stat(entry.name)) and int(f[1]) in parents:
            found.add(int(entry.name))
    return found


def backends(app: Any) -> set[int]:
    """The PostgreSQL server processes of the benchmark database (none for SQLite)."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return set()
        return set(
            conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            ).scalars()
        )


# --- the run ------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    server: Server
    path: str
    cookie: str
    queries: str = "–"
    kb: float = 0.0
    load: Load | None = None
    hello: float = 0.0  # the hello-world req/s this row is divided by


def count_queries(app: Any, client: Any, path: str) -> tuple[str, float]:
    """SQL statements per request (three requests after a warm-up) and the HTML size."""
    with app.app_context():
        engine = db.engine
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    counts = set()
    for _ in range(3):
        statements = Statements()
        event.listen(engine, "before_cursor_execute", statements)
        response = client.get(path)
        event.remove(engine, "before_cursor_execute", statements)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        counts.add(len(statements.items))
    return _span(counts), len(response.data) / 1024


def warm(row: Row, teacher: str) -> None:
    """Every worker compiles its templates before the load; the cookie must sign in the member."""
    for _ in range(20):
        status, body = get(row.server.port, row.path, row.cookie)
        assert status == 200, f"{row.path}: {status}"
    if row.cookie:
        assert f"/u/{teacher}".encode() in body, f"{row.path}: not signed in"


def table(rows: list[Row]) -> str:
    lines = [
        "| page | URL | req/s | ÷ hello | p50 ms | p99 ms | SQL queries | HTML KB |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        load = r.load
        assert load is not None
        lines.append(
            f"| {r.name} | `{r.path}` | {load.rps:,.0f} | {load.rps / r.hello:.3f} | {_fmt(load.p50_ms)} "
            f"| {_fmt(load.p99_ms)} | {r.queries} | {r.kb:.1f} |"
        )
    return "\n".join(lines)


def _fmt(ms: float | None) -> str:
    return "–" if ms is None else f"{ms:.1f}"


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def gunicorn_version() -> str:
    from importlib.metadata import version

    return version("gunicorn")


def main() -> None:
    args = parse_args()
    OUT.mkdir(exist_ok=True)
    url = database_url(args, PG_DATABASE)
    app = make_app(url)
    servers: list[Server] = []
    try:
        print(f"generating the workshop on {args.database} …", file=sys.stderr)
        site, built = build(app)
        client = app.test_client()
        sign_in(client, site.teacher, site.password)
        last = math.ceil(site.replies / REPLIES_PER_PAGE)
        env = {
            **os.environ,
            "PEIXUN_DATABASE_URL": url,
            "PEIXUN_RATELIMIT_ENABLED": "false",
        }  # PEIXUN_INSTANCE_PATH is bench/out/instance (bench.pages): the test client's secret key
        hello = Server("hello", "hello:app", HERE, env)
        peixun = Server("peixun", "app:app", ROOT, env)
        servers += [hello, peixun]
        for server in servers:
            server.wait()
        description = describe(app, site, built)  # the load average before any load
        pages = [
            ("thread, first page", f"/t/{site.thread}"),
            (f"thread, last page ({site.replies:,} replies)", f"/t/{site.thread}?page={last}"),
            (f"thread list ({THREADS + 1} threads)", f"/w/{site.workshop}/threads"),
        ]
        measured = [(name, path, *count_queries(app, client, path)) for name, path in pages]
        # After the pages: the session now holds its CSRF token, as a browser's cookie would.
        cookie = f"peixun_session={client.get_cookie('peixun_session').value}"
        rows = [Row(name, peixun, path, cookie, queries, kb) for name, path, queries, kb in measured]
        use_wrk = shutil.which("wrk") is not None and not args.python_client
        generator = wrk if use_wrk else python_load
        baseline = Row("hello-world", hello, "/", "")
        warm(baseline, site.teacher)

        others: list[float] = []

        def load(row: Row) -> Load:
            warm(row, site.teacher)  # after it, every worker holds its database connection
            watch = Others({os.getpid(), hello.process.pid, peixun.process.pid} | backends(app))
            result = generator(row.server.url(row.path), row.cookie, args.seconds, args.connections)
            others.append(watch.cores())
            print(f"  {row.name}: {result.rps:,.0f} req/s, others {others[-1]:.2f} cores", file=sys.stderr)
            return result

        # Hello-world before and after every page: each page is compared with the mean of its
        # two neighbours, so a drift in the machine's speed during the run cancels out.
        hellos = [load(baseline)]
        for row in rows:
            row.load = load(row)
            hellos.append(load(baseline))
            row.hello = (hellos[-2].rps + hellos[-1].rps) / 2
        baseline.load = Load(
            statistics.mean(h.rps for h in hellos),
            _median([h.p50_ms for h in hellos]),
            _median([h.p99_ms for h in hellos]),
            sum(h.requests for h in hellos),
        )
        baseline.hello = baseline.load.rps
        tool = (
            f"wrk -t1 -c{args.connections} -d{args.seconds}s"
            if use_wrk
            else f"Python client, {args.connections} threads, {args.seconds} s"
        )
        print(f"\n{description}")
        print(
            f"gunicorn {gunicorn_version()}, 2 sync workers per app; {tool} per URL; "
            f"hello-world runs {', '.join(f'{h.rps:,.0f}' for h in hellos)} req/s (the row shows their "
            "mean and median latencies); ÷ hello = req/s ÷ the mean of the hello runs just before "
            f"and after; other processes used {max(others):.2f} cores at most during a load window\n"
        )
        print(table([baseline, *rows]))
    finally:
        for server in servers:
            server.stop()
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            drop_database(args, PG_DATABASE)


if __name__ == "__main__":
    main()
