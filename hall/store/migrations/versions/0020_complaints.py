"""complaints (投诉建议): intake from every channel, handling, the reply and the answer

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-20 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'complaints',
        sa.Column('id', BigId, nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('work_order', sa.String(length=40), nullable=True),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('ticket_id', BigId, nullable=True),
        sa.Column('case_id', BigId, nullable=True),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('phone_masked', sa.String(length=16), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=True),
        sa.Column('reply_phone', sa.String(length=16), nullable=True),
        sa.Column('entered_by', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('handler_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=True),
        sa.Column('replied_at', sa.DateTime(), nullable=True),
        sa.Column('replied_by', sa.Integer(), nullable=True),
        sa.Column('satisfied', sa.Boolean(), nullable=True),
        sa.Column('reopened', sa.Integer(), nullable=False),
        sa.Column('upheld', sa.Boolean(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by', sa.Integer(), nullable=True),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_complaints_hall_state_due', 'complaints',
                    ['hall_id', 'state', 'due_date'])
    op.create_index('ix_complaints_ticket', 'complaints', ['ticket_id'])
    op.create_index('ix_complaints_case', 'complaints', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_complaints_case', 'complaints')
    op.drop_index('ix_complaints_ticket', 'complaints')
    op.drop_index('ix_complaints_hall_state_due', 'complaints')
    op.drop_table('complaints')
