"""staff.department_id (the staff member's 派驻 unit, 双重管理) and staff.photo (the file of
their 值班牌 photo, kept outside the web root)

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-20 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0025'
down_revision: Union[str, Sequence[str], None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy): counters, tickets and others point at staff.
    # Accounts that exist already have no department until the console or a layout sets one.
    op.add_column('staff', sa.Column('department_id', sa.Integer(), nullable=True))
    op.add_column('staff', sa.Column('photo', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE staff DROP COLUMN photo")
    op.execute("ALTER TABLE staff DROP COLUMN department_id")
