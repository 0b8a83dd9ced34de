"""PostgreSQL least privilege: the application's role may only add and read audit rows.

Two roles (docs/deploying-postgresql.md): the *owner* role owns the database's tables and
runs `ketaflow migrate`; the *application* role, which gunicorn, the HL7 listener and the
workers connect as, owns nothing. `grant_statements` are what the owner runs (`ketaflow audit
grant-app-role --role NAME`) to let the application role:

- read and write every table (SELECT, INSERT, UPDATE, DELETE) and use every sequence,
- but only INSERT and SELECT the audit tables (`APPEND_ONLY_TABLES`): no UPDATE, DELETE or
  TRUNCATE, and as it owns nothing it cannot drop or disable their triggers either,
- and the same on the tables and sequences later migrations make (default privileges of the
  owner role).
"""

from __future__ import annotations

#: Tables the application role may only add to and read.
APPEND_ONLY_TABLES = ("audit_accessevent",)


def quote(name: str) -> str:
    """A PostgreSQL identifier, quoted (any name, quotes in it doubled)."""
    return '"' + name.replace('"', '""') + '"'


def grant_statements(app_role: str, *, database: str, schema: str) -> list[str]:
    """The owner's statements giving `app_role` its privileges in `database`.`schema` (run
    them as the owner: default privileges are the running role's)."""
    app, db, sch = quote(app_role), quote(database), quote(schema)
    statements = [
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {sch}.{quote(table)} FROM {app}")
    return statements
