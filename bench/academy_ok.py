"""Academy with one more route, /bench/ok, that returns "ok" to a signed-in user.

bench.web compares the module page with it as well as with bench/baseline.py:
both run in this same gunicorn server, so the ratio isolates what the module
page itself costs (its queries and template) from what every signed-in Academy
page pays (the session cookie, loading the user, the access guard, headers).
"""
from academy.security import signed_in
from wsgi import app  # the production entry point, as gunicorn loads it


@signed_in
def ok():
    return "ok"


app.add_url_rule("/bench/ok", "bench_ok", ok)
