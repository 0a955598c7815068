"""Cases (办件): accepted at a counter, worked in the back office, on the legal clock."""
