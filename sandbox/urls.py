"""Mounted at /sandbox/ by prakerja/urls.py only when settings.SANDBOX is on."""

from django.urls import path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("pelatihan/<slug:ref>/", views.offering, name="offering"),
    path("pembayaran/<uuid:payment_id>/", views.payment, name="payment"),
    path("voucher/<slug:code>/", views.voucher, name="voucher"),
    path("voucher/<slug:code>/tukar/", views.redeem, name="redeem"),
    path("voucher/<slug:code>/pretest/", views.pretest, name="pretest"),
    path("voucher/<slug:code>/selesai/", views.completion, name="completion"),
    path("sertifikat/<slug:code>/", views.certificate, name="certificate"),
]
