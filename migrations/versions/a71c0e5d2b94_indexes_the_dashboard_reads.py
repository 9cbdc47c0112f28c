"""indexes the dashboard reads instead of tables

The dashboard counts submitted and passed attempts per course version. With
`passed` in the index, SQLite and PostgreSQL count from the index alone instead
of reading every attempt row (answers and draws make those rows large).
Requirement clearance reads every current course certificate in clinician
order; a partial index holds exactly those rows, in that order, with the
columns it needs.

Revision ID: a71c0e5d2b94
Revises: d43654c225a7
Create Date: 2026-11-22 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a71c0e5d2b94'
down_revision = 'd43654c225a7'
branch_labels = None
depends_on = None


CURRENT = sa.text("kind = 'course' AND superseded_by_id IS NULL")


def upgrade():
    op.create_index('ix_attempts_version_status_passed', 'attempts', ['version_id', 'status', 'passed'])
    op.drop_index('ix_attempts_version_status', table_name='attempts')
    op.create_index('ix_certificates_current', 'certificates',
                    ['user_id', 'issued_at', 'course_id', 'expires_on', 'revoked_at'],
                    sqlite_where=CURRENT, postgresql_where=CURRENT)


def downgrade():
    op.drop_index('ix_certificates_current', table_name='certificates')
    op.create_index('ix_attempts_version_status', 'attempts', ['version_id', 'status'])
    op.drop_index('ix_attempts_version_status_passed', table_name='attempts')
