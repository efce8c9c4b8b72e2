"""The query half of bench/search.py on a database and index it kept (`--keep`): warm
queries as the member and the admin, first queries of fresh processes, and the per-query
table, without inserting the corpus or rebuilding again. For trying query-side changes
at 100,000 documents in minutes instead of half an hour.

    .venv/bin/python bench/search.py --backends whoosh --profile 0 --sample 0 --no-optimize --keep
    # prints: kept sqlite:////tmp/….db and /tmp/peixun_bench_search_index_…
    .venv/bin/python bench/search_queries.py whoosh sqlite:////tmp/….db /tmp/peixun_bench_search_index_…
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import select  # noqa: E402

from bench.search import (  # noqa: E402
    first_details,
    first_queries,
    make_app,
    per_query_table,
    query_table,
    warm_queries,
)
from peixun.accounts.models import User  # noqa: E402
from peixun.extensions import db  # noqa: E402
from peixun.search import service  # noqa: E402

SEARCHER = "teacher000010"  # bench/_search_corpus.py's plain member of ws-1 and ws-7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backend", choices=["whoosh", "postgres"])
    parser.add_argument("url", help="the kept database")
    parser.add_argument("path", help="the kept SEARCH_PATH folder (any folder for postgres)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--first", type=int, default=3)
    args = parser.parse_args()
    search_path = Path(args.path)
    app = make_app(args.url, args.backend, search_path)
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.username == SEARCHER)).scalar_one()
        documents = service.backend().count()
    print(f"{args.backend}: {documents:,} documents in the index; queries …", file=sys.stderr)
    member = warm_queries(app, user_id, args.rounds, "member")
    admin = warm_queries(app, 1, args.rounds, "admin")
    first_warm = first_queries(args.url, args.backend, search_path, user_id, "warm", args.first)
    first_cold = first_queries(args.url, args.backend, search_path, user_id, "cold", args.first)
    with app.app_context():
        if args.backend == "whoosh":
            service.backend().close()
        db.engine.dispose()
    run = SimpleNamespace(
        backend=args.backend,
        member=member,
        admin=admin,
        first_warm=first_warm,
        first_cold=first_cold,
        optimized=None,
    )
    print(f"Queries on {documents:,} documents (top 10 with snippets):\n\n{query_table([run])}\n")  # type: ignore[list-item]
    print(f"First queries:\n{first_details([run])}\n")  # type: ignore[list-item]
    print(f"Per query (median of {args.rounds} rounds):\n\n{per_query_table([run])}\n")  # type: ignore[list-item]


if __name__ == "__main__":
    main()
