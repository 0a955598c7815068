"""The hall layout as a file (TOML): typed specs, their table rows, what an import would
change, export and import, and ``hall seed``."""
