"""Pages of the dispensing app (mounted at /dispensing/)."""

from django.urls import URLPattern, path

from ketaflow.dispensing import views

app_name = "dispensing"
urlpatterns: list[URLPattern] = [
    path("courses/<int:pk>/", views.course_panel, name="course"),
    path("courses/<int:pk>/authorise", views.authorise, name="authorise"),
    path("courses/<int:pk>/pdmp/new", views.pdmp_check, name="pdmp_check"),
    path("authorisations/<int:pk>/dispense", views.dispense, name="dispense"),
    path("authorisations/<int:pk>/refill", views.request_refill, name="request_refill"),
    path("authorisations/<int:pk>/end", views.end_authorisation, name="end"),
    path("refills/<int:pk>/decide", views.decide_refill, name="decide_refill"),
    path("supplies/<int:pk>/error", views.supply_error, name="supply_error"),
    path("stock/", views.stock, name="stock"),
    path("stock/receive", views.receive, name="receive"),
    path("stock/count", views.count, name="count"),
    path("stock/lines/<int:pk>/explain", views.explain, name="explain"),
]
