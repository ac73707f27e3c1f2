"""The life of a session record."""


class SessionStatus:
    PLANNED = "planned"
    IN_PROGRESS = "in progress"
    ENDED = "ended"
