"""rota (排班): who holds (post A) and covers (post B, AB岗) each window per day and shift;
pause reasons lose 请假 and the other kinds of leave (leave is requested and approved now,
never a pause)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-20 10:00:00

"""
from typing import Sequence, Union

import json

from alembic import op
import sqlalchemy as sa

# the words hall/domain/duty.LEAVE_WORDS holds today (a migration keeps its own copy)
LEAVE_WORDS = ("请假", "事假", "病假", "年休假", "年假", "休假", "公差", "产假", "婚假", "丧假")


# revision identifiers, used by Alembic.
revision: str = '0026'
down_revision: Union[str, Sequence[str], None] = '0025'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'rota',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('shift', sa.String(length=16), nullable=False),
        sa.Column('post', sa.String(length=1), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('counter_id', 'day', 'shift', 'post', name='uq_rota_post'),
    )
    op.create_index('ix_rota_hall_day', 'rota', ['hall_id', 'day'])
    op.create_index('ix_rota_staff_day', 'rota', ['staff_id', 'day'])
    conn = op.get_bind()
    for hall_id, settings in conn.execute(sa.text("SELECT id, settings FROM halls")).all():
        settings = json.loads(settings) if isinstance(settings, str) else dict(settings or {})
        reasons = settings.get("pause_reasons")
        if not reasons:
            continue
        kept = [r for r in reasons if not any(w in r for w in LEAVE_WORDS)]
        if kept != reasons:
            settings["pause_reasons"] = kept
            conn.execute(sa.text("UPDATE halls SET settings = :s WHERE id = :i")
                         .bindparams(sa.bindparam("s", type_=sa.JSON)),
                         {"s": settings, "i": hall_id})


def downgrade() -> None:
    op.drop_index('ix_rota_staff_day', table_name='rota')
    op.drop_index('ix_rota_hall_day', table_name='rota')
    op.drop_table('rota')
