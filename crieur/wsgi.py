"""WSGI entry point (gunicorn crieur.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crieur.settings.dev")
application = get_wsgi_application()
