"""Academy with two more routes that return "ok": /bench/public to anyone, /bench/ok to a signed-in user.

bench.web compares the module page with them as well as with bench/baseline.py.
All run in the same gunicorn server as the module page, so the ratios split
what a page costs into layers:

- /bench/public: Academy's app and extensions with no user and no database
  (the access guard, the session, the security headers);
- /bench/ok: what every signed-in page adds (the session cookie, loading the
  user and checking their session version, a pooled database connection);
- the module page: its own queries and template.
"""
from academy.security import public, signed_in
from wsgi import app  # the production entry point, as gunicorn loads it


@public
def everyone():
    return "ok"


@signed_in
def ok():
    return "ok"


app.add_url_rule("/bench/public", "bench_public", everyone)
app.add_url_rule("/bench/ok", "bench_ok", ok)
