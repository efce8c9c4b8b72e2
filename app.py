"""WSGI entry point: `flask --app app …` and `gunicorn app:app`."""

from peixun import create_app

app = create_app()
