"""Alembic migrations, configured in code (no alembic.ini): `Database.migrate()` runs
`upgrade head` at open. To write a new revision during development:

    python -c "from alembic import command; from formcheck.store.migrations import alembic_config as c; \
command.revision(c('sqlite:////tmp/dev.db'), message='...', autogenerate=True)"

(upgrade /tmp/dev.db to head first), then review the generated file in versions/.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("version_locations", str(HERE / "versions"))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
