"""gunicorn's access log follows GUNICORN_ACCESS_LOG in both log formats (with
``LOG_FORMAT=json`` it used to log every request although the switch was off)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Loads config/gunicorn.conf.py the way gunicorn does, then logs one request through
# gunicorn's own logger; prints what reached stdout.
PROBE = """
import datetime, sys
from gunicorn.config import Config
from gunicorn.glogging import Logger

cfg = Config()
namespace = {"__file__": "config/gunicorn.conf.py"}
exec(open("config/gunicorn.conf.py").read(), namespace)
for key, value in namespace.items():
    if key in cfg.settings:
        cfg.set(key, value)

class Response:
    status = "200 OK"
    sent = 12
    headers = []
    def __init__(self):
        self.status_code = 200

class Request:
    headers = []
    method = "GET"
    path = "/healthz"
    query = ""
    uri = "/healthz"
    version = (1, 1)

environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/healthz",
           "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/healthz", "QUERY_STRING": ""}
log = Logger(cfg)
log.access(Response(), Request(), environ, datetime.timedelta(milliseconds=3))
log.error("an error line")
sys.stdout.flush()
"""


def _logged(**env: str) -> str:
    import os

    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "LOG_"))},
            **env,
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_access_log_is_off_unless_asked(log_format: str) -> None:
    out = _logged(LOG_FORMAT=log_format)
    assert "an error line" in out
    assert "/healthz" not in out


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_access_log_on_when_asked(log_format: str) -> None:
    out = _logged(LOG_FORMAT=log_format, GUNICORN_ACCESS_LOG="1")
    assert "/healthz" in out
