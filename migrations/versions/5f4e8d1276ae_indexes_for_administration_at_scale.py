"""indexes for administration at scale

Revision ID: 5f4e8d1276ae
Revises: 19112b9f2b8e
Create Date: 2026-11-22 02:38:30.183152

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f4e8d1276ae'
down_revision = '19112b9f2b8e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_enrollment_passed', ['enrollment_id', 'passed'], unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_user'))
        batch_op.create_index('ix_certificates_user_course', ['user_id', 'course_id'], unique=False)

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_completions_course'))
        batch_op.create_index('ix_completions_completed', ['completed_at'], unique=False)
        batch_op.create_index('ix_completions_course_completed', ['course_id', 'completed_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_role_name', ['role', 'full_name'], unique=False)



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_role_name')

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_course_completed')
        batch_op.drop_index('ix_completions_completed')
        batch_op.create_index(batch_op.f('ix_completions_course'), ['course_id'], unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_user_course')
        batch_op.create_index(batch_op.f('ix_certificates_user'), ['user_id'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_enrollment_passed')

