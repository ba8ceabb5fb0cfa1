"""Celery beat's scheduler: the schedule is the code, its state is in the database, so
beat keeps nothing on its host.

django-celery-beat's ``DatabaseScheduler`` keeps every entry, with its last run and run count,
in the database that every host shares, so the one beat process of a deployment can be stopped
on one host and started on another without losing or repeating a run. At start it writes each
``CELERY_BEAT_SCHEDULE`` entry into its table (by name; the last run is kept). ``CodeScheduler``
adds the other half of "the code is the source of truth": rows of entries that are no longer in
the code are deleted first, so a job removed from settings stops running instead of living on in
the database. Staff do not edit schedules (the admin does not show these tables).
"""

from django_celery_beat.schedulers import DatabaseScheduler

# Entries Celery installs by itself (DatabaseScheduler.install_default_entries).
CELERY_OWN_ENTRIES = frozenset({"celery.backend_cleanup"})


class CodeScheduler(DatabaseScheduler):
    def setup_schedule(self) -> None:
        # Before the library's first read of the table, so a removed entry never runs again.
        keep = set(self.app.conf.beat_schedule) | CELERY_OWN_ENTRIES
        stale = self.Model.objects.exclude(name__in=keep)
        if stale.exists():
            stale.delete()
            self.Changes.update_changed()
        super().setup_schedule()
