"""Alembic environment: runs on the connection Database.migrate() hands over (already inside a
transaction and, on PostgreSQL, holding the migration lock), or on sqlalchemy.url for dev tools."""

from alembic import context

from formcheck.store.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from formcheck.store.db import Database

    db = Database(config.get_main_option("sqlalchemy.url"), migrate=False)
    with db.engine.begin() as conn:
        run(conn)
