"""Many halls, one region (DESIGN.md §8): each hall's event log goes up through NATS
JetStream to the region's PostgreSQL, exactly once and in order per hall.

- ``outgoing``: the hall's side in its own database (which halls ship under which uid, what
  is still to ship, the mark of what the broker confirmed);
- ``incoming``: the region's side in the region's database (events keyed (hall_uid, seq),
  each hall's high-water mark, moved in the same transaction);
- ``link``: the two loops over the broker, ``uplink`` (in each hall, never in the hall's
  request path) and ``ingest`` (in the region), each reconnecting with backoff;
- ``tree``: the region's places (市 → 区县 → 乡镇), the halls serving each and the region
  accounts, whose rights cover their place and below (``hall/domain/region.py``).

Configuration down (the region's catalog and scheme to the halls):

- ``catalog_file``: the files the region publishes, checked; ``published``: their versions
  in the region's database; ``downlink``: the broker's key-value bucket, ``send`` from the
  region and the ``downlink`` loop beside each hall;
- ``received``: the versions a hall's database holds; ``adopt``: adopting one by the
  three-way merge (hall/domain/catalog.py), through ``catalog_side`` (services) and
  ``scheme_side`` (scheme points, targets), the conflicts and the admin's choices;
  ``adoption_view``: what the admin sees.
"""
