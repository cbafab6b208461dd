"""The moderation inbox: what citizens answer, in one place."""
