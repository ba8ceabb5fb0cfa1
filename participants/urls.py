from django.contrib.auth import views as auth_views
from django.urls import path

from participants import forms, views

urlpatterns = [
    path(
        "masuk/",
        auth_views.LoginView.as_view(authentication_form=forms.LoginForm),
        name="login",
    ),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("dasbor/", views.dashboard, name="dashboard"),
]
