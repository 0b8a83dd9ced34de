from django.urls import path

from ketaflow.emergency import views

app_name = "emergency"
urlpatterns = [
    path("", views.start, name="start"),
    path("<int:pk>/", views.view, name="view"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review, name="review"),
]
