"""Staff on duty (DESIGN.md §6, issue 20): the 值班牌 photo and card, the rota (排班, AB岗),
attendance derived from sign-ins against it, leave (请销假) and the first-contact desk (首问)."""
