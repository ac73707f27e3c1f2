"""Store errors, importable without SQLAlchemy so the window can appear before the record opens."""


class StoreError(Exception):
    """A problem with the database that the user must act on. The message says what and where."""


class SchemaTooNewError(StoreError):
    pass


class DatabaseLockedError(StoreError):
    pass
