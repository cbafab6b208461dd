"""The Celery application that carries Crieur's own background work."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crieur.settings.dev")

app = Celery("crieur")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
