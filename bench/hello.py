"""The baseline for bench/threads.py: the smallest Flask app, served with the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "hello"
