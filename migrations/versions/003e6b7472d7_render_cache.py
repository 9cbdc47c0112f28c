"""render cache

Revision ID: 003e6b7472d7
Revises: c9a215f13f7d
Create Date: 2026-11-22 02:18:13.635873

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '003e6b7472d7'
down_revision = 'c9a215f13f7d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rendered_texts',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade():
    op.drop_table('rendered_texts')
