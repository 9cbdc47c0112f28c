"""The database goes away and comes back: friendly 503s, /healthz says so, and service resumes by itself.

Only on the throwaway PostgreSQL cluster, which the test can stop and start (a SQLite file cannot go away
while the app holds it open; an external ACADEMY_TEST_DATABASE_URL is not ours to stop).
"""
import time
import urllib.request

from tests.conftest import BACKEND, PASSWORD
from tests.support.servers import Client, Server


def _healthz(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


if BACKEND == "postgresql":
    def test_outage_gives_503_and_service_resumes_without_a_restart(app, databases, make_user):
        from tests.scale.test_servers import server_env

        if databases.cluster is None:
            import pytest
            pytest.fail("this test needs the throwaway cluster; unset ACADEMY_TEST_DATABASE_URL", pytrace=False)
        user = make_user()
        server = Server(server_env(app), workers=1)
        try:
            client = Client(server.url)
            assert client.login(user.email, PASSWORD) == 302
            assert client.request("/learning")[0] == 200
            databases.cluster.stop_server()
            try:
                assert _healthz(server.url) == 503
                status, html = client.request("/learning")
                assert status == 503 and "cannot reach its database" in html and "Traceback" not in html
            finally:
                databases.cluster.start_server()
            for _ in range(50):
                if _healthz(server.url) == 200:
                    break
                time.sleep(0.2)
            assert _healthz(server.url) == 200
            assert client.request("/learning")[0] == 200  # the same session, the same server process
        finally:
            server.stop()
            # This test's own connection died with the server too.
            from academy.extensions import db
            db.session().invalidate()
