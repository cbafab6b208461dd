"""Social listening: queries, mentions and alerts."""
