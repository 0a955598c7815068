"""configuration down (issue 23 item 3): the region's published catalog and scheme
versions; in each hall's database the versions received, what each hall adopted, and the
fields where the hall's own value and the region's differ (DESIGN.md §8)

Revision ID: 0085
Revises: 0075
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0085'
down_revision: Union[str, Sequence[str], None] = '0075'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _versions(name: str, when: str) -> None:
    op.create_table(
        name,
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        *([sa.Column(when, sa.DateTime(), nullable=False)] if when else []),
        sa.PrimaryKeyConstraint('kind', 'version'),
    )


def upgrade() -> None:
    _versions('region_publications', '')  # the region's database
    _versions('region_config_versions', 'received_at')  # a hall's database
    op.create_table(
        'region_config_adoptions',
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('adopted_at', sa.DateTime(), nullable=False),
        sa.Column('adopted_by', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('hall_id', 'kind'),
    )
    op.create_table(
        'region_config_conflicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('entity', sa.String(length=64), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('region_value', sa.JSON(), nullable=True),
        sa.Column('local_value', sa.JSON(), nullable=True),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by', sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_region_conflicts_hall_state', 'region_config_conflicts',
                    ['hall_id', 'kind', 'state'])


def downgrade() -> None:
    op.drop_index('ix_region_conflicts_hall_state', table_name='region_config_conflicts')
    op.drop_table('region_config_conflicts')
    op.drop_table('region_config_adoptions')
    op.drop_table('region_config_versions')
    op.drop_table('region_publications')
