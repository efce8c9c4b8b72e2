"""Production serving: `gunicorn -c gunicorn.conf.py app:app` (README, Deployment).

Settings come from PEIXUN_* environment variables; command-line options still apply on
top of this file. Behind nginx, gunicorn listens on loopback and trusts the proxy's
X-Forwarded-* headers only through PEIXUN_PROXY_COUNT (peixun.config), not here.
"""

import logging
import multiprocessing
import os

bind = os.environ.get("PEIXUN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one worker; pages are short and bounded (bench/README.md).
workers = int(os.environ.get("PEIXUN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
# A request longer than this is killed and its worker replaced (the client sees a 502 from
# nginx, never a half-written reply: each write commits once). Uploads arrive through nginx's
# buffer, so even a 200 MB video reaches the worker at loopback speed.
timeout = int(os.environ.get("PEIXUN_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Replace each worker after a while, so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Each worker loads the app itself: no database connection or open index file is ever
# shared across a fork, and a new worker (after a crash or max_requests) starts clean.
preload_app = False

# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which two
# sites or a load test beside the site would fight over; we manage workers with signals.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
# The request id (core.requestlog) closes every access line, as the app's lines carry it.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "peixun.core.requestlog.RequestIdFilter"}},
    "formatters": {"line": {"format": _FORMAT}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["request_id"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "peixun": {"level": "INFO"},
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}


def post_worker_init(worker):
    """Each worker warms search (the segmenter, the Whoosh searcher and its columns, or a
    PostgreSQL connection) before its first request, so no search waits for it."""
    app = worker.wsgi
    if not getattr(app, "config", {}).get("SEARCH_WARM"):  # not peixun, or switched off
        return
    from peixun.search import service

    try:
        service.warm(app)
    except Exception:  # a worker that cannot warm still serves; its first search warms
        logging.getLogger("peixun.search").exception("search not warmed at worker start")
