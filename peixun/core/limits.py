"""The rate limits every domain applies to its views, one budget per kind of action.

A limit is shared by every view of its kind (`shared_limit` with one scope): ten replies
a minute means ten across threads, comments and observations together, not ten on each
page. Counters are kept per signed-in user (per address for guests), in memory, or in
Redis when PEIXUN_REDIS_URL is set so that every worker and server counts the same.
A refused request gets the Chinese 429 page (core.errors).

Sign-in and registration keep their own limits in accounts.views: they count per
address and per account name, before anyone is signed in.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from peixun.extensions import limiter


def actor_key() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"address:{get_remote_address()}"


def _configured(name: str):
    return lambda: current_app.config[name]


# Threads, replies, edits, comments, observations and the like: whatever a person writes.
posting = limiter.shared_limit(
    _configured("POST_LIMIT_PER_USER"), scope="posting", key_func=actor_key, methods=["POST"]
)
# Files: resources, lesson designs and recordings, rosters. Each upload is also a post.
uploading = limiter.shared_limit(
    _configured("UPLOAD_LIMIT_PER_USER"), scope="uploading", key_func=actor_key, methods=["POST"]
)
# Searching is the most expensive read; a script hammering it is refused early.
searching = limiter.shared_limit(_configured("SEARCH_LIMIT"), scope="searching", key_func=actor_key)
