"""The publishing engine: due publications claimed once, sent, retried, reconciled."""


def publication_enqueue(*, publication_id: int) -> None:
    """Placeholder until the engine lands: the scheduler's tick finds due publications."""
