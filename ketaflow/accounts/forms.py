"""Forms for accounts' pages: the two-factor code, a new member of staff, an API token."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.accounts.roles import Role


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("The code is digits only, e.g. 123456.")
        return token


class SecondStepForm(TokenForm):
    """The sign-in's second step: the app's code, or one of the person's backup codes."""

    token = forms.CharField(
        label="6-digit code from your authenticator app, or a backup code",
        min_length=6,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self) -> str:
        from ketaflow.accounts.services import normalise_backup_code

        token = normalise_backup_code(self.cleaned_data["token"])
        if token.isdigit() or (len(token) == 8 and token.isalnum()):
            return token
        raise forms.ValidationError("Type the 6 digits your app shows, or a backup code.")


class ResetSecondFactorForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="Why, and how you made sure it is them (e.g. phone lost, confirmed in person).",
    )


class StaffUserForm(forms.Form):
    """A new member of staff; the service checks the role, the username and the password."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    username = forms.CharField(
        max_length=150,
        help_text="Used to sign in, e.g. jsmith. Letters, digits and . _ - only.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(required=False)
    title = forms.CharField(max_length=60, required=False, help_text="e.g. RN, MD, NP")
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(
        max_length=128,
        help_text="At least 12 characters, not a common password. Share it privately.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TokenIssueForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What will use it, e.g. 'reporting script'. Shown in the list below.",
        error_messages={"required": "Give the token a name, e.g. 'reporting script'."},
    )
    days = forms.IntegerField(
        label="Works for (days)",
        required=False,
        min_value=1,
        max_value=365,
        initial=90,
        help_text="1 to 365 (90 if left empty). After this it stops working; issue a new one.",
    )
    read_only = forms.BooleanField(
        label="Read-only", required=False, help_text="It can read, but never change anything."
    )

    def clean_days(self) -> int:
        days: int | None = self.cleaned_data.get("days")
        return 90 if days is None else days
