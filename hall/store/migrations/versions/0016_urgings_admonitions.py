"""urgings (催办) of a case or a window, kept with the window's answer; admonitions (效能告诫)
against a staff member or a department, acknowledged by the person, withdrawn with a reason

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'urgings',
        sa.Column('id', BIG, nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('case_id', BIG, nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('acked_at', sa.DateTime(), nullable=True),
        sa.Column('acked_by', sa.Integer(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_urgings_counter_open', 'urgings', ['counter_id', 'acked_at'],
                    unique=False)
    op.create_index('ix_urgings_hall_at', 'urgings', ['hall_id', 'at'], unique=False)
    op.create_table(
        'admonitions',
        sa.Column('id', BIG, nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('evidence_kind', sa.String(length=16), nullable=True),
        sa.Column('evidence_ref', sa.String(length=64), nullable=True),
        sa.Column('issued_by', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('acked_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_by', sa.Integer(), nullable=True),
        sa.Column('withdraw_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_admonitions_hall_at', 'admonitions', ['hall_id', 'issued_at'],
                    unique=False)
    op.create_index('ix_admonitions_staff', 'admonitions', ['staff_id', 'acked_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_admonitions_staff', table_name='admonitions')
    op.drop_index('ix_admonitions_hall_at', table_name='admonitions')
    op.drop_table('admonitions')
    op.drop_index('ix_urgings_hall_at', table_name='urgings')
    op.drop_index('ix_urgings_counter_open', table_name='urgings')
    op.drop_table('urgings')
