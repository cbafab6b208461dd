"""The moderation inbox (built on the parsed events the networks' webhook door hands on)."""
