"""cases.lookup_code (the 查询码 the public case look-up asks for with the number),
sign_in_failures (wrong passwords per login name and address, locking only that pair),
pairings.address (who asked, for the per-address cap)

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-20 09:00:00

"""
import secrets
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import hall.store.types


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy), as in 0009
    op.add_column('cases', sa.Column('lookup_code', sa.String(length=8), nullable=False,
                                     server_default=''))
    # cases accepted before have a code too: a reprinted 受理回执 shows it
    cases = sa.table('cases', sa.column('id', sa.Integer()), sa.column('lookup_code', sa.String()))
    conn = op.get_bind()
    ids = list(conn.execute(sa.select(cases.c.id)).scalars())
    for start in range(0, len(ids), 1000):
        conn.execute(cases.update().where(cases.c.id == sa.bindparam('case_id'))
                     .values(lookup_code=sa.bindparam('code')),
                     [{'case_id': i, 'code': f"{secrets.randbelow(10 ** 6):06d}"}
                      for i in ids[start:start + 1000]])
    op.create_table('sign_in_failures',
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', hall.store.types.UTCDateTime(), nullable=True),
    sa.Column('last_at', hall.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('login', 'address')
    )
    op.create_index('ix_sign_in_failures_last_at', 'sign_in_failures', ['last_at'],
                    unique=False)
    op.add_column('pairings', sa.Column('address', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN: SQLite ≥ 3.35 and PostgreSQL, no copy of the table
    op.execute("ALTER TABLE pairings DROP COLUMN address")
    op.drop_index('ix_sign_in_failures_last_at', table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
    op.execute("ALTER TABLE cases DROP COLUMN lookup_code")
