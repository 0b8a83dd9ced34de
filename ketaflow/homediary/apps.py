from django.apps import AppConfig


class HomediaryConfig(AppConfig):
    name = "ketaflow.homediary"
    label = "homediary"
    verbose_name = "Home dose diary"

    def ready(self) -> None:
        """Safety's long-term schedule counts home dose days (asked through its hook); a sent
        home-alert email notes whom it reached on its alerts."""
        from ketaflow.homediary.alerts import EMAIL_KIND, note_emailed
        from ketaflow.homediary.derive import home_dose_days
        from ketaflow.mail.services import on_sent
        from ketaflow.safety.derive import register_home_dose_days

        register_home_dose_days(home_dose_days)
        on_sent(EMAIL_KIND, note_emailed)
