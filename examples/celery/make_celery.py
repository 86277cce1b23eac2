"""What the workers load. In this folder (or your project's root, once copied),
one worker per queue, so that a long task never holds up a short one:

    celery -A make_celery worker -Q short -n short@%h --loglevel INFO
    celery -A make_celery worker -Q long -n long@%h --loglevel INFO

A worker started without -Q takes tasks from both queues. It builds the Flask
app with the same factory as the web process, so both read the same
configuration (REDIS_URL, FLASK_* variables).
"""

from task_app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
