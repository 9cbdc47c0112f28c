"""With Redis as the limiter's storage, two app servers share one sign-in count."""
import shutil
import subprocess
import time

import pytest

from tests.conftest import Browserless, missing


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        missing("Redis", "apt-get install redis-server")
    socket = tmp_path / "redis.sock"
    process = subprocess.Popen([server, "--port", "0", "--unixsocket", str(socket), "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not socket.exists():
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis+unix://{socket}"
    process.terminate()
    process.wait(timeout=10)


def test_two_servers_share_the_login_throttle(make_app, make_user, redis_url):
    first = make_app(ACADEMY_RATELIMIT_STORAGE_URL=redis_url)
    with first.app_context():
        email = make_user().email
        web = Browserless(first.test_client())
        for _ in range(5):
            assert web.login(email, "wrong password here").status_code == 200
    second = make_app(ACADEMY_RATELIMIT_STORAGE_URL=redis_url)
    with second.app_context():
        other = Browserless(second.test_client())
        assert other.login(email, "wrong password here").status_code == 429
