"""The page shell's URLs. The staff-user and API-token pages are accounts' views, routed here
so their addresses (/users/, /account/api-tokens/) and `web:` names stay as users know them."""

from django.urls import path

from ketaflow.accounts import views_tokens, views_users
from ketaflow.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("users/", views_users.users, name="users"),
    path("users/add/", views_users.user_add, name="user_add"),
    path("users/<int:pk>/active/", views_users.user_set_active, name="user_active"),
    path(
        "users/<int:pk>/emergency-access/",
        views_users.user_set_break_glass,
        name="user_break_glass",
    ),
    path(
        "users/<int:pk>/reset-two-factor/",
        views_users.user_reset_second_factor,
        name="user_reset_2fa",
    ),
    path("account/api-tokens/", views_tokens.tokens, name="tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views_tokens.token_revoke, name="token_revoke"),
]
