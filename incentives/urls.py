from django.urls import include, path

from incentives import views

app_name = "incentives"

participant_urls = [
    path("", views.history, name="history"),
    path("rekening/", views.account_change, name="account_change"),
    path("rekening/verifikasi/<uuid:change_id>/", views.account_confirm, name="account_confirm"),
    path("survei/<int:number>/", views.survey, name="survey"),
]

urlpatterns = [
    path("insentif/", include(participant_urls)),
    path("api/payouts/v1/callback", views.payout_callback, name="payout_callback"),
]
