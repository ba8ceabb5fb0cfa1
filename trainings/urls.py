from django.urls import path

from trainings import views

app_name = "trainings"

urlpatterns = [
    path("pelatihan/", views.recommendations, name="recommendations"),
    path("pelatihan-saya/", views.my_trainings, name="my_trainings"),
    path("pelatihan-saya/<int:voucher_id>/ulasan/", views.review, name="review"),
    path("saldo/", views.balance, name="balance"),
]
