"""Storage for uploaded files that every web host shares: the database.

``MEDIA_STORAGE=database`` (the default with DEBUG off) keeps uploads such as complaint
screenshots in :class:`prakerja.models.StoredFile`, so a file uploaded through one host is served
by any other without a shared disk. Files are read only through views that check who asks
(they have no public URL). For large media (videos) at scale, an object store behind the same
Storage API (django-storages) is the next step; the portal's uploads are small.
"""

import os

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible


@deconstructible
class DatabaseStorage(Storage):
    def _model(self):
        from prakerja.models import StoredFile

        return StoredFile

    def _open(self, name: str, mode: str = "rb"):
        row = self._model().objects.filter(name=name).values_list("content", flat=True).first()
        if row is None:
            raise FileNotFoundError(name)
        return ContentFile(bytes(row), name=name)

    def _save(self, name: str, content) -> str:
        content.seek(0)
        data = content.read()
        if isinstance(data, str):
            data = data.encode()
        while True:
            try:
                with transaction.atomic():
                    self._model().objects.create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:
                # Another upload took the name between exists() and the insert.
                name = self.get_alternative_name(*os.path.splitext(name))

    def delete(self, name: str) -> None:
        self._model().objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return self._model().objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        size = self._model().objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def url(self, name: str) -> str:
        # Like FileSystemStorage's: nothing serves MEDIA_URL; views that check access do.
        from django.conf import settings
        from django.utils.encoding import filepath_to_uri

        return f"{settings.MEDIA_URL}{filepath_to_uri(name)}"
