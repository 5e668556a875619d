"""The WSGI application (gunicorn: ``config/gunicorn.conf.py``).

Each gunicorn worker imports this module when it starts, before it serves anyone, so the
URL configuration (every view module) is loaded here rather than by the first request a
worker gets: that request used to pay for it (300–400 ms on this machine, once per worker,
and again after every recycle)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

if os.environ.get("CLAIMDESK_WARM_START", "1") != "0":
    from common.warm import warm_up

    warm_up()
