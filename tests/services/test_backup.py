"""Backup and restore: a backup restored into a fresh instance has every record, and certificates verify."""
import shutil
from datetime import date, timedelta
from pathlib import Path

from academy import create_app
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import Attempt, Certificate, Course, User
from tests.conftest import BACKEND, BASE_CONFIG

DATA = Path(__file__).resolve().parents[1] / "data" / "valid"


def _records():
    return (db.session.scalar(db.select(db.func.count(User.id))),
            db.session.scalar(db.select(db.func.count(Attempt.id))),
            sorted(db.session.scalars(db.select(Certificate.code))))


if BACKEND == "sqlite":
    def test_backup_then_restore_into_a_fresh_instance(app, runner, make_user, tmp_path):
        from tests.web.test_admin import certify

        root = tmp_path / "content"
        shutil.copytree(DATA, root)
        import_content([Source(root / "courses", root / "quizzes")])
        assert runner.invoke(args=["academy", "keys", "init"]).exit_code == 0
        course = db.session.scalar(db.select(Course).where(Course.slug == "sample-course"))
        for n in range(3):
            certify(make_user(), course, expires_on=date.today() + timedelta(days=300))
        before = _records()
        result = runner.invoke(args=["academy", "backup", str(tmp_path / "academy.backup")])
        assert result.exit_code == 0, result.output
        db.session.remove()

        fresh = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
                            "INSTANCE_PATH": str(tmp_path / "fresh-instance"),
                            "ACADEMY_KEYS_DIR": str(Path(app.instance_path) / "keys")})
        with fresh.app_context():  # the CLI runs in the current app context: make it the fresh instance's
            restored = fresh.test_cli_runner().invoke(args=["academy", "restore", "--yes",
                                                            str(tmp_path / "academy.backup")])
            assert restored.exit_code == 0, restored.output
            assert _records() == before
            client = fresh.test_client()
            for code in before[2]:
                assert "Valid." in client.get(f"/verify/{code}").get_data(as_text=True)
            assert client.get(f"/verify/{before[2][0]}.json").json["status"] == "valid"
            db.engine.dispose()

    def test_restore_refuses_what_is_not_an_academy_backup(app, runner, tmp_path):
        junk = tmp_path / "junk.backup"
        junk.write_bytes(b"not a database at all")
        result = runner.invoke(args=["academy", "restore", "--yes", str(junk)])
        assert result.exit_code != 0 and "is not a SQLite database" in result.output
        users = db.session.scalar(db.select(db.func.count(User.id)))
        assert users == 0  # nothing was touched
else:
    def test_postgresql_points_to_pg_dump(runner, tmp_path):
        result = runner.invoke(args=["academy", "backup", str(tmp_path / "x.backup")])
        assert result.exit_code != 0 and "pg_dump" in result.output
