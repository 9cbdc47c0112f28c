"""Domain errors of the learning services; views turn them into messages or 404s."""


class LearningError(Exception):
    """A request that cannot be carried out; the message tells the clinician what to do."""


class NotFound(LearningError):
    """The object does not exist or does not belong to this clinician (both answer 404)."""
