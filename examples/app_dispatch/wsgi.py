"""What a WSGI server runs, in this folder (or your project's root, once copied):

    gunicorn wsgi:application          the portal at /, its API at /api
    gunicorn wsgi:teams_by_path        the same, plus each team's at /red/, /blue/
    gunicorn wsgi:teams_by_subdomain   each team's portal at red.$PORTAL_DOMAIN

The portal is built at import, so FLASK_SECRET_KEY must be set first. To try
the dispatchers without a server: FLASK_DEBUG=1 python wsgi.py [--subdomains]
"""

import os
import sys

from portal import create_app
from portal import create_team_app
from portal.dispatch import PathDispatcher
from portal.dispatch import SubdomainDispatcher

application = create_app()
# Each team's portal is built by its first request, not here.
teams_by_path = PathDispatcher(application, create_team_app)
teams_by_subdomain = SubdomainDispatcher(
    os.environ.get("PORTAL_DOMAIN", "localhost"), create_team_app
)

if __name__ == "__main__":
    from werkzeug.serving import run_simple

    # Development only. Browsers send *.localhost to this machine.
    served = teams_by_subdomain if "--subdomains" in sys.argv else teams_by_path
    run_simple("127.0.0.1", 5001, served, use_reloader=True)
