"""Uploads in the database (MEDIA_STORAGE=database): every host serves every file."""

import pytest
from django.core.files.base import ContentFile

from prakerja.models import StoredFile
from prakerja.storage import DatabaseStorage

pytestmark = pytest.mark.django_db


def test_a_saved_file_reads_back_and_can_be_deleted():
    storage = DatabaseStorage()
    name = storage.save("pengaduan/2026/layar.png", ContentFile(b"\x89PNG data"))
    assert storage.exists(name)
    assert storage.size(name) == 9
    with storage.open(name) as stored:
        assert stored.read() == b"\x89PNG data"
    storage.delete(name)
    assert not storage.exists(name)
    assert not StoredFile.objects.exists()


def test_a_second_file_with_the_same_name_gets_its_own_name():
    storage = DatabaseStorage()
    first = storage.save("layar.png", ContentFile(b"one"))
    second = storage.save("layar.png", ContentFile(b"two"))
    assert first != second
    assert storage.open(first).read() == b"one"
    assert storage.open(second).read() == b"two"


def test_opening_a_missing_file_raises_file_not_found():
    with pytest.raises(FileNotFoundError):
        DatabaseStorage().open("tidak-ada.png")
