"""Pure domain core: entities, ticket life cycle, numbering, call-next policy, deadlines, KPIs.

Imports only the standard library and pure helpers (chinesecalendar); a test enforces it.
"""
