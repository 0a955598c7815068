"""counters.staff_session, counters.staff_seen_at: which staff session holds a window and
when it was last used, so a window whose session ended with no request is closed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # windows open now have no record yet (NULL): the watch leaves them to their next
    # sign-in or close, as before
    # plain ALTER TABLE (no batch copy): tickets and others point at counters, and SQLite
    # refuses to drop a referenced table while foreign keys are on
    op.add_column('counters', sa.Column('staff_session', sa.String(length=64), nullable=True))
    op.add_column('counters', sa.Column('staff_seen_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN: SQLite ≥ 3.35 and PostgreSQL, no copy of the table
    op.execute("ALTER TABLE counters DROP COLUMN staff_seen_at")
    op.execute("ALTER TABLE counters DROP COLUMN staff_session")
