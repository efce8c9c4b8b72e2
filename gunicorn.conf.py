"""gunicorn reads this file from the directory it starts in (`gunicorn app:app`).

Each worker warms search (the segmenter, the Whoosh searcher and its columns, or a
PostgreSQL connection) before it accepts its first request, so no search waits for it
(issue 5's first-query goal). Command-line options still apply on top of this file."""

import logging


def post_worker_init(worker):
    app = worker.wsgi
    if not getattr(app, "config", {}).get("SEARCH_WARM"):  # not peixun, or switched off
        return
    from peixun.search import service

    try:
        service.warm(app)
    except Exception:  # a worker that cannot warm still serves; its first search warms
        logging.getLogger("peixun.search").exception("search not warmed at worker start")
