"""Forms for the course pages: parse input only; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaflow.clinical.protocols import Protocol
from ketaflow.courses.models import Chair, CoursePhase, EndedReason, ProtocolVersion
from ketaflow.lib.forms import DateInput

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
DATE = DateInput()
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _version_label(version: ProtocolVersion) -> str:
    return f"{version.name} (version {version.version})"


class ReviseProtocolForm(forms.Form):
    """One optional field per setting: empty means "use the default"."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the clinic changes these settings (kept with the new version).",
    )

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        for key, setting in protocol.settings():
            default = f"{setting.default.value:g}"
            unit = f" {setting.unit}" if setting.unit else ""
            self.fields[self.field_name(key)] = forms.CharField(
                label=protocol.setting_label(key),
                required=False,
                initial=f"{setting.local[0]:g}" if setting.local else "",
                help_text=f"Default {default}{unit}. Empty = use the default; entering the "
                "default's number signs it off locally.",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": default}),
            )

    @staticmethod
    def field_name(key: str) -> str:
        return "s__" + key.replace(".", "__")

    def changes(self) -> dict[str, object]:
        """Only the settings whose local value differs from what is stored."""
        out: dict[str, object] = {}
        for key, setting in self.protocol.settings():
            raw = (self.cleaned_data.get(self.field_name(key)) or "").strip()
            before = f"{setting.local[0]:g}" if setting.local else ""
            if raw != before:
                out[key] = raw or "default"
        return out

    def service_field(self, key: str) -> str:
        return self.field_name(key) if self.field_name(key) in self.fields else key


class ChairForm(forms.Form):
    name = forms.CharField(max_length=60)
    notes = forms.CharField(max_length=300, required=False)
    active = forms.BooleanField(required=False, initial=True, label="In use")


class OpeningHoursForm(forms.Form):
    working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Opening days",
    )
    opens_at = forms.TimeField(widget=TIME, label="Opens at")
    closes_at = forms.TimeField(widget=TIME, label="Closes at")
    prep_minutes = forms.IntegerField(
        min_value=0, max_value=240, label="Arrival and preparation (min)"
    )
    dose_minutes = forms.IntegerField(
        min_value=1, max_value=240, label="Giving a non-infusion dose (min)"
    )
    turnover_minutes = forms.IntegerField(min_value=0, max_value=240, label="Chair turnover (min)")
    confirm_days_ahead = forms.IntegerField(
        min_value=1,
        max_value=31,
        label="Confirm bookings ahead (clinic days)",
        help_text="The front desk's list of bookings to confirm covers this many clinic days, "
        "today included.",
    )


class ClosedDayForm(forms.Form):
    on = forms.DateField(widget=DATE, label="Date")
    reason = forms.CharField(max_length=200, help_text="e.g. Bank holiday, staff training")


class ExtraOpeningForm(forms.Form):
    on = forms.DateField(widget=DATE, label="Date")
    opens_at = forms.TimeField(widget=TIME, label="From")
    closes_at = forms.TimeField(
        widget=TIME, label="Until", help_text="Earlier than 'From' runs past midnight."
    )
    reason = forms.CharField(max_length=200, help_text="e.g. Saturday clinic, evening list")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class StartCourseForm(forms.Form):
    protocol_version = forms.ModelChoiceField(
        queryset=ProtocolVersion.objects.none(), label="Protocol", empty_label=None
    )
    started_on = forms.DateField(widget=DATE, label="Start date")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, versions: list[ProtocolVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["protocol_version"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ProtocolVersion.objects.filter(pk__in=[v.pk for v in versions])
        field.label_from_instance = _version_label  # type: ignore[method-assign,assignment]


class PhaseForm(forms.Form):
    to_phase = forms.ChoiceField(choices=CoursePhase.choices, label="New phase")
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for a re-induction (maintenance → induction).",
    )
    ended_reason = forms.ChoiceField(
        choices=[("", "—"), *EndedReason.choices],
        required=False,
        label="Why the course ended",
        help_text="Only when the new phase is 'Ended'.",
    )
    ended_note = forms.CharField(
        max_length=500, required=False, label="Details", help_text="Required for 'Other'."
    )


class SeriesDecisionForm(forms.Form):
    """Continue the series: the note is the reason (the service says when it is required)."""

    note = forms.CharField(
        max_length=500,
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the series continues. Required when the core signals non-response.",
    )


class BookForm(forms.Form):
    chair = forms.ModelChoiceField(queryset=Chair.objects.none(), empty_label=None)
    day = forms.DateField(widget=DATE, label="Date")
    at = forms.TimeField(widget=TIME, label="Arrival time")

    def __init__(
        self, *args: Any, chairs: list[Chair], confirm_missing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["chair"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Chair.objects.filter(pk__in=[c.pk for c in chairs]).order_by("name")
        if confirm_missing:
            self.fields["book_anyway"] = _book_anyway()


class SlotFinderForm(forms.Form):
    """Free start times for a chair (or every chair) on a day: read from the query string."""

    find_day = forms.DateField(widget=DATE, label="Day")
    find_chair = forms.ModelChoiceField(
        queryset=Chair.objects.none(), required=False, empty_label="All chairs", label="Chair"
    )

    def __init__(self, *args: Any, chairs: list[Chair], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["find_chair"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Chair.objects.filter(pk__in=[c.pk for c in chairs]).order_by("name")


class RescheduleForm(BookForm):
    reason = forms.CharField(max_length=300, help_text="Why the appointment moves.")


def _book_anyway() -> forms.BooleanField:
    """Booking ahead is allowed, knowingly: dosing waits for what is missing."""
    return forms.BooleanField(
        label="Book anyway",
        help_text="What is missing must be done before the first dose can be given.",
        error_messages={"required": "Tick “Book anyway” to book although something is missing."},
    )


class BookSeriesForm(forms.Form):
    at = forms.TimeField(
        widget=TIME,
        required=False,
        label="Preferred arrival time",
        help_text="Empty: opening time. A busy chair falls back to the first free slot that day.",
    )

    def __init__(self, *args: Any, confirm_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if confirm_missing:
            self.fields["book_anyway"] = _book_anyway()


class StatusForm(forms.Form):
    status = forms.CharField(max_length=20)


class ConfirmBookingForm(forms.Form):
    note = forms.CharField(
        max_length=200,
        required=False,
        label="How",
        help_text="Optional, e.g. phoned the patient, text reply.",
    )
