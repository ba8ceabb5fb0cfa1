"""The NIK hashes of the state's lists: a table partitioned by list version.

Each imported version is loaded into a table of its own, which is attached as a partition when the
version takes effect and detached and dropped when a newer version replaces it
(participants.eligibility.lists). The parent therefore always holds exactly the versions in force,
and replacing a list of millions of rows costs no DELETE. No index: selection and the re-check read
the lists with hash joins, and a bulk import builds no index.
"""

from django.db import migrations

SQL = """
CREATE TABLE participants_agencylistentry (
    list_id integer NOT NULL,
    nik_hash varchar(64) NOT NULL
) PARTITION BY LIST (list_id);
"""

REVERSE = "DROP TABLE participants_agencylistentry;"


class Migration(migrations.Migration):
    dependencies = [("participants", "0068_eligibility_registry_lists_reviews")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
