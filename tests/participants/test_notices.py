"""The one SMS-and-email loop of the jobs (``participants.notices``)."""

from django.core import mail

from participants import notices
from prakerja import sms


def notice(phone="+6281200000001", email="a@contoh.id"):
    return notices.Notice(
        phone=phone,
        email=email,
        sms_text="Prakerja: kabar untuk Anda.",
        subject="Kabar Prakerja",
        body=notices.letter(name="Sari", text="Prakerja: kabar untuk Anda."),
    )


def test_each_notice_goes_by_sms_and_email_to_whoever_has_them(sms_outbox):
    counts = notices.send_notices(
        [notice(), notice(phone="", email="b@contoh.id"), notice(phone="+6281200000003", email="")],
        label="test",
    )
    assert counts == {"sms": 2, "email": 2, "failed": 0}
    assert [m.to for m in sms_outbox] == ["+6281200000001", "+6281200000003"]
    assert [m.to for m in mail.outbox] == [["a@contoh.id"], ["b@contoh.id"]]
    assert mail.outbox[0].body == "Yth. Sari,\n\nPrakerja: kabar untuk Anda.\n"


def test_a_failed_sms_is_counted_and_the_email_still_goes(monkeypatch):
    def broken(**kwargs):
        raise sms.SmsError("gateway down")

    monkeypatch.setattr(sms, "send_sms", broken)
    counts = notices.send_notices([notice()], label="test")
    assert counts == {"sms": 0, "email": 1, "failed": 1}
    assert len(mail.outbox) == 1


def test_a_failed_mail_connection_is_counted_not_raised(settings, sms_outbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    counts = notices.send_notices([notice(), notice(email="b@contoh.id")], label="test")
    assert counts == {"sms": 2, "email": 0, "failed": 2}
