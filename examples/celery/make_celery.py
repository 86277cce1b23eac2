"""What the worker loads. In this folder (or your project's root, once copied):

    celery -A make_celery worker --loglevel INFO

It builds the Flask app with the same factory as the web process, so both read
the same configuration (REDIS_URL, FLASK_* variables).
"""

from task_app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
