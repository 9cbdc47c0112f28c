"""The WSGI entry point: `gunicorn wsgi:app`."""
import gc

from academy import create_app

app = create_app()
# What exists now (imported modules, the app) lives as long as the process.
# Frozen, it is left out of garbage collection: otherwise every full collection
# walks these ~150,000 objects again, a pause of about 90 ms that large pages
# (the administrator's dashboard) triggered every few requests.
gc.freeze()
