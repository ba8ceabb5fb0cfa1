"""``manage.py create_app_role URL``: the role the portal serves with, allowed rows only.

Run it as the owner of the tables (``DATABASE_URL`` set to the owner's URL, the role that runs
``migrate``), with the serving role's URL as argument: it creates the role (or sets its password
again), lets it connect, use temporary tables (the selection's) and read and write the rows of
every table and sequence, now and in every later migration (default privileges of the owner).
It is not the owner of anything, so it cannot alter, truncate or drop a table, disable or drop
a trigger, or switch triggers off for its session (README, "Two database roles").
"""

import environ
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg2 import sql

TABLE_RIGHTS = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
SEQUENCE_RIGHTS = sql.SQL("USAGE, SELECT")


class Command(BaseCommand):
    help = (
        "Create or update the serving role named in URL (postgres://ROLE:PASSWORD@HOST:PORT/DB) "
        "with rights on rows only, for this database's tables now and after later migrations. "
        "Run it with DATABASE_URL set to the owner of the tables. Prints one summary line."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="the serving role's DATABASE_URL")

    def handle(self, *args, url: str, **options):
        target = environ.Env.db_url_config(url)
        role, password, database = target["USER"], target["PASSWORD"], target["NAME"]
        if not role or not password:
            raise CommandError("The URL must name the role and its password.")
        if database != connection.settings_dict["NAME"]:
            raise CommandError(
                f"The URL names database {database!r}; DATABASE_URL connects to "
                f"{connection.settings_dict['NAME']!r}. Run this against the same database."
            )
        with transaction.atomic():
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:  # raw: the password is never logged
                owner = self._grant(cursor, role=role, password=password, database=database)
                cursor.execute(
                    "SELECT count(*) FILTER (WHERE relkind IN ('r', 'p')), "
                    "count(*) FILTER (WHERE relkind = 'S') FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace"
                )
                tables, sequences = cursor.fetchone()
        self.stdout.write(
            f"create_app_role role={role} owner={owner} tables={tables} sequences={sequences}"
        )

    def _grant(self, cursor, *, role: str, password: str, database: str) -> str:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        if role == owner:
            raise CommandError("The serving role must not be the owner of the tables.")
        names = {"role": sql.Identifier(role), "owner": sql.Identifier(owner)}
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        verb = sql.SQL("ALTER") if cursor.fetchone() else sql.SQL("CREATE")
        cursor.execute(
            sql.SQL(
                "{verb} ROLE {role} LOGIN PASSWORD {password} NOSUPERUSER NOCREATEDB "
                "NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            ).format(verb=verb, password=sql.Literal(password), **names)
        )
        statements = [
            "GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}",
            # Before PostgreSQL 15 everyone could create tables in "public"; nobody may here.
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE ON SCHEMA public TO {role}",
            "GRANT {tables} ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT {sequences} ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT {tables} ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            "GRANT {sequences} ON SEQUENCES TO {role}",
        ]
        for statement in statements:
            cursor.execute(
                sql.SQL(statement).format(
                    database=sql.Identifier(database),
                    tables=TABLE_RIGHTS,
                    sequences=SEQUENCE_RIGHTS,
                    **names,
                )
            )
        return owner
