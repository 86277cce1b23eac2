"""The module the worker command loads:

    celery -A examples.celery.make_celery worker --loglevel INFO

It builds the Flask app with the same factory the web process uses, so both
read the same configuration (REDIS_URL, FLASK_* variables).
"""

from . import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
