"""The `flask academy` commands, run through Flask's real CLI runner."""
from pathlib import Path

from academy.extensions import db
from academy.models import AuditEvent, User
from academy.models.user import find_user_by_email


def test_create_user_reads_password_from_stdin(app, runner):
    result = runner.invoke(args=["academy", "create-user", "--email", "Trainer@Example.org",
                                 "--name", "Toni Trainer", "--role", "trainer", "--password-stdin"],
                           input="a perfectly fine passphrase\n")
    assert result.exit_code == 0, result.output
    user = find_user_by_email("trainer@example.org")
    assert user.role == "trainer" and user.is_verified


def test_create_user_prompts_and_refuses_weak_passwords(app, runner):
    result = runner.invoke(args=["academy", "create-user", "--email", "a@example.org", "--name", "A"],
                           input="short\nshort\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert db.session.scalar(db.select(User)) is None


def test_create_user_refuses_duplicates(app, runner, make_user):
    make_user(email="dup@example.org")
    result = runner.invoke(args=["academy", "create-user", "--email", "DUP@example.org", "--name", "D",
                                 "--password-stdin"], input="a perfectly fine passphrase\n")
    assert result.exit_code != 0 and "already exists" in result.output


def test_set_role_is_audited(app, runner, make_user):
    user = make_user()
    result = runner.invoke(args=["academy", "set-role", user.email, "trainer"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.role == "trainer"
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "role.change"))
    assert event.target_id == str(user.id) and '"to": "trainer"' in event.detail


def test_demo_creates_three_accounts_once_and_keeps_them(app, runner):
    first = runner.invoke(args=["academy", "demo"])
    assert first.exit_code == 0, first.output
    path = Path(app.instance_path) / "demo-accounts.txt"
    lines = path.read_text().splitlines()
    assert [line.split(" ")[0] for line in lines] == ["clinician", "trainer", "administrator"]
    assert all(len(line.split(" ")) == 3 for line in lines)
    second = runner.invoke(args=["academy", "demo"])
    assert second.exit_code == 0
    assert path.read_text().splitlines() == lines
    assert db.session.scalar(db.select(db.func.count(User.id))) == 3
    # Each printed password signs in.
    from tests.conftest import Browserless
    for line in lines:
        role, email, password = line.split(" ")
        web = Browserless(app.test_client())
        assert web.login(email, password).status_code == 302, role
