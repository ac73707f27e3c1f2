"""Alembic environment: always run on the connection KAPDesk hands over (never from alembic.ini).

``kapdesk.store.migrate`` opens the engine with our pragmas and passes the connection in
``config.attributes["connection"]``, so migrations see exactly the database the app will use.
"""

from alembic import context

from kapdesk.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copy-and-move; batch mode does it safely
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
