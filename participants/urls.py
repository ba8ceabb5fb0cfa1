from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from participants import views

urlpatterns = [
    path("masuk/", views.login_view, name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("daftar/", views.register, name="register"),
    path("daftar/cek-email/", views.register_done, name="register_done"),
    path("daftar/kirim-ulang/", views.resend_verification, name="resend_verification"),
    path("verifikasi-email/<str:token>/", views.verify_email, name="verify_email"),
    path("lupa-sandi/", views.password_reset_view, name="password_reset"),
    path(
        "lupa-sandi/terkirim/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "lupa-sandi/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "lupa-sandi/selesai/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("profil/identitas/", views.identity, name="identity"),
    path("profil/nomor-hp/", views.phone, name="phone"),
    path("profil/nomor-hp/verifikasi/", views.phone_verify, name="phone_verify"),
    path("profil/pernyataan/", views.declarations, name="declarations"),
    path("tes/", views.basic_test_intro, name="basic_test"),
    path("tes/kerjakan/", views.basic_test_take, name="basic_test_take"),
    path("gelombang/<int:number>/gabung/", views.join_wave, name="join_wave"),
    path("orientasi/", views.orientation_page, name="orientation"),
    path("orientasi/<int:pk>/video/", views.orientation_file, name="orientation_file"),
    path("orientasi/<int:pk>/<str:event>/", views.orientation_event, name="orientation_event"),
    path("dasbor/", views.dashboard, name="dashboard"),
]
