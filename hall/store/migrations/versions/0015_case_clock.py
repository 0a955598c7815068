"""The case clock by law: services.warning_days (警戒时限 in working days), extensions (延期)
and suspensions (中止) on cases, and case_clock, the append-only record of each

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-20 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN (no batch copy): other tables point at services and cases
    op.add_column('services', sa.Column('warning_days', sa.Integer(), nullable=False,
                                        server_default='1'))
    op.add_column('cases', sa.Column('extension_days', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('cases', sa.Column('extension_reason', sa.Text(), nullable=True))
    op.add_column('cases', sa.Column('extended_by', sa.Integer(), nullable=True))
    op.add_column('cases', sa.Column('extended_at', sa.DateTime(), nullable=True))
    op.add_column('cases', sa.Column('suspended_days', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('cases', sa.Column('suspended_on', sa.Date(), nullable=True))
    op.add_column('cases', sa.Column('suspended_at', sa.DateTime(), nullable=True))
    op.add_column('cases', sa.Column('suspend_reason', sa.String(length=16), nullable=True))
    op.create_table(
        'case_clock',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('due_before', sa.Date(), nullable=False),
        sa.Column('due_after', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_clock_case', 'case_clock', ['case_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_clock_case', table_name='case_clock')
    op.drop_table('case_clock')
    for column in ('suspend_reason', 'suspended_at', 'suspended_on', 'suspended_days',
                   'extended_at', 'extended_by', 'extension_reason', 'extension_days'):
        op.execute(f"ALTER TABLE cases DROP COLUMN {column}")
    op.execute("ALTER TABLE services DROP COLUMN warning_days")
