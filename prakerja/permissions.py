"""Permission names in Indonesian.

Django names its built-in permissions in English ("Can add pengaduan") when ``migrate`` creates
them, whatever the language. After every ``migrate`` the names are rewritten to Indonesian, in
four UPDATEs; rows already rewritten are left alone, so it is idempotent.
"""

from django.db.models import Value
from django.db.models.functions import Concat, Substr

VERBS = {
    "Can add ": "Dapat menambah ",
    "Can change ": "Dapat mengubah ",
    "Can delete ": "Dapat menghapus ",
    "Can view ": "Dapat melihat ",
}


def translate_permission_names(*, using: str = "default") -> int:
    """Rewrite every ``Can <verb> <model>`` permission name; returns the number of rows changed."""
    from django.contrib.auth.models import Permission

    changed = 0
    for english, indonesian in VERBS.items():
        changed += (
            Permission.objects.using(using)
            .filter(name__startswith=english)
            .update(name=Concat(Value(indonesian), Substr("name", len(english) + 1)))
        )
    return changed


def on_post_migrate(sender, using="default", **kwargs) -> None:
    translate_permission_names(using=using)
