"""The NIK hashes of the state's lists: one plain table, no index and no key.

Hand-written because the table has no model: nothing reads or writes it through the ORM, and a
model would bring a primary key (and its index) that every bulk import would have to maintain.

Each imported version's keyed NIK hashes are appended with COPY under the version's id; readers
join the versions in force (``participants_agencylist``) in the same statement, so a version takes
effect, and the one it replaces leaves, when the import's transaction commits. The replaced
version's rows are deleted afterwards (``participants.eligibility.lists.purge_replaced``). No
index: selection and the re-check read the lists with hash joins, and a bulk import maintains no
index. Only rows are written, so the portal's serving role (rows only) can import.
"""

from django.db import migrations

SQL = """
CREATE TABLE participants_agencylistentry (
    list_id integer NOT NULL,
    nik_hash varchar(64) NOT NULL
);
"""

REVERSE = "DROP TABLE participants_agencylistentry;"


class Migration(migrations.Migration):
    dependencies = [("participants", "0004_storage_and_indexes")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
