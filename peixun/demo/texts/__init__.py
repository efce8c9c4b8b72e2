"""Chinese text of the demo discussions: what the 黔西南州 teachers write, by subject.

Texts are Markdown with str.format placeholders filled when they are posted:
{subject} 学科, {stage} 学段, {workshop} 工作坊名, {district} 县区, {school} the
writer's school, {host} the workshop host's username and {author} the thread
starter's username (write "@{author}" to mention her).
"""

from __future__ import annotations

from dataclasses import dataclass

TOPIC, QUESTION, PERIODIC = "topic", "question", "periodic"


@dataclass(frozen=True)
class Discussion:
    """A thread to start: its opening post and the replies written for it, in order."""

    title: str
    body: str
    replies: tuple[str, ...] = ()
    kind: str = TOPIC
    # Questions: the answer a host or an expert gives, accepted by the asker; it comes
    # after the first `answer_at` replies.  An unanswered question keeps only those.
    answer: str = ""
    answer_at: int = 0
    # Written by the thread's starter right after the first reply (she answers back).
    follow_up: str = ""
    stage: str = ""  # "初中" or "高中" when it only fits one stage
    by_host: bool = False  # opened by a host (learning-garden topics, arrangements)


def topic(title: str, body: str, *replies: str, follow_up: str = "", stage: str = "", by_host=False):
    return Discussion(title, body, replies, TOPIC, "", 0, follow_up, stage, by_host)


def garden(title: str, body: str, *replies: str, stage: str = ""):
    """A numbered 学习园地 topic (第N期 is added by the site), opened by a host."""
    return Discussion(title, body, replies, PERIODIC, "", 0, "", stage, True)


def question(title: str, body: str, answer: str, *replies: str, answer_at: int = 0, stage: str = ""):
    return Discussion(title, body, replies, QUESTION, answer, answer_at, "", stage)
