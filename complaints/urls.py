from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("pengaduan/", views.file_complaint, name="file"),
    path("pengaduan/saya/", views.my_complaints, name="mine"),
    path("pengaduan/tiket/<str:ticket>/", views.complaint_detail, name="detail"),
    path("pengaduan/tiket/<str:ticket>/lampiran/", views.attachment, name="attachment"),
    path("pengaduan/lacak/<str:token>/", views.track, name="track"),
    path("pengaduan/lacak/<str:token>/lampiran/", views.track_attachment, name="track_attachment"),
]
