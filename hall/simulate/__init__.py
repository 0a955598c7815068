"""`hall simulate`: a realistic day played through the real HTTP API of a running server
(issue 22): the plan of the day (`plan`, pure and seeded) and the players that act it out
(`players`: the kiosk issues, each window's staff calls, serves, transfers, pauses for
lunch and signs out, the window's pad rates), writing a JSON-lines log of what they did."""
