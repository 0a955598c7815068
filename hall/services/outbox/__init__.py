"""The durable outbox (DESIGN.md §7): ``store`` writes rows inside a command's transaction
and moves them through pending → sent | failed; ``worker`` sends them through adapters with
retries and backoff; adapters (one per topic) speak each provider's HTTP API."""
