"""Posts, campaigns, themes and territories: what the institution says."""
