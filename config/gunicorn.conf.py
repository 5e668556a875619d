"""gunicorn's settings for Claimdesk: ``gunicorn -c config/gunicorn.conf.py config.wsgi``.

Every value comes from the environment, with the defaults for one small machine:
``WEB_CONCURRENCY`` worker processes (default: 2 per CPU core, at most 8), bound to
``GUNICORN_BIND`` (default ``127.0.0.1:8000``; behind a proxy or load balancer). Sync
workers: a request is short (the page and API views), long work goes to the task worker.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(min(2 * (os.cpu_count() or 1), 8))))
worker_class = "sync"
# A streamed export may take a while; longer ones go to the background (DIRECT_LIMIT).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, against slow memory growth; the jitter keeps them from
# restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Logs to stdout like the app's; the access log only when asked (GUNICORN_ACCESS_LOG=1),
# since a proxy or load balancer usually keeps one.
errorlog = "-"
access_log_on = os.environ.get("GUNICORN_ACCESS_LOG", "") in {"1", "true", "yes"}
accesslog = "-" if access_log_on else None
access_log_format = (
    '{"remote": "%(h)s", "request": "%(r)s", "status": %(s)s, "bytes": "%(B)s", '
    '"duration_ms": %(M)s, "user_agent": "%(a)s"}'
)
# In the same JSON as the app's logs (LOG_FORMAT, config/logging.py), unless text is asked for.
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # With a logconfig_dict gunicorn writes access lines whatever `accesslog` says:
            # the logger itself must be silent when the access log is off.
            "gunicorn.access": {
                "handlers": ["console"] if access_log_on else [],
                "level": "INFO" if access_log_on else "CRITICAL",
                "propagate": False,
            },
        },
    }


def post_fork(server: object, worker: object) -> None:
    """Let the worker be replaced when a big request leaves it holding too much memory
    (``CLAIMDESK_WORKER_RECYCLE_MB``, ``common/memory.py``)."""
    from common import memory

    memory.recycle_with(worker)


# gunicorn's control socket is one fixed path per user: several servers on one machine (and
# the deployment test's two) would fight over it, and nothing here uses it.
control_socket_disable = True
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see BEHIND_TLS_PROXY).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
