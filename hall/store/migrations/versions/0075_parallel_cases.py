"""并联审批 and 绿色通道 (issue 22): case_parts (one department's part of a case, with its own
promise, state and clock), cases.promised_days and cases.fast_track (the promise a case was
accepted with), services.fast_track_days (the shortened promise of a fast-track case) and
case_clock.part_id (which part's clock moved)

Revision ID: 0075
Revises: 0070
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0075'
down_revision: Union[str, Sequence[str], None] = '0070'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN (no batch copy): other tables point at services and cases
    op.add_column('services', sa.Column('fast_track_days', sa.Integer(), nullable=True))
    op.add_column('cases', sa.Column('promised_days', sa.Integer(), nullable=True))
    op.add_column('cases', sa.Column('fast_track', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('case_clock', sa.Column('part_id', BIG_ID, nullable=True))
    op.create_table(
        'case_parts',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('case_id', BIG_ID, nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('promised_days', sa.Integer(), nullable=False),
        sa.Column('accepted_on', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('warning_date', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.Column('extension_days', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('extension_reason', sa.Text(), nullable=True),
        sa.Column('extended_by', sa.Integer(), nullable=True),
        sa.Column('extended_at', sa.DateTime(), nullable=True),
        sa.Column('suspended_days', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('suspended_on', sa.Date(), nullable=True),
        sa.Column('suspended_at', sa.DateTime(), nullable=True),
        sa.Column('suspend_reason', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'seq'),
        sa.UniqueConstraint('case_id', 'department_id'),
    )
    op.create_index('ix_case_parts_hall_department', 'case_parts',
                    ['hall_id', 'department_id'], unique=False)


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN: SQLite ≥ 3.35 and PostgreSQL, no copy of the tables
    op.drop_index('ix_case_parts_hall_department', table_name='case_parts')
    op.drop_table('case_parts')
    op.execute("ALTER TABLE case_clock DROP COLUMN part_id")
    op.execute("ALTER TABLE cases DROP COLUMN fast_track")
    op.execute("ALTER TABLE cases DROP COLUMN promised_days")
    op.execute("ALTER TABLE services DROP COLUMN fast_track_days")
