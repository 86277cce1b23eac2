"""gunicorn's entry point for the checks: some examples, each at /<folder>.

    export STRESS_EXAMPLES=sqlite3,wtforms STRESS_INSTANCE_ROOT=/tmp/data
    gunicorn stress.wsgi:application

Each example's app built as deployed (the secret from FLASK_SECRET_KEY, the
same in every worker), its data in STRESS_INSTANCE_ROOT/<import name>
instead of its own instance folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import keep_data_in
from .serve import mount

keep_data_in(Path(os.environ["STRESS_INSTANCE_ROOT"]))
application = mount(os.environ["STRESS_EXAMPLES"].split(","))
