from django.apps import AppConfig


class HomediaryConfig(AppConfig):
    name = "ketaflow.homediary"
    label = "homediary"
    verbose_name = "Home dose diary"

    def ready(self) -> None:
        """Safety's long-term schedule counts home dose days and the titration's weekly ceiling
        counts home mg (each asked through its app's hook); a sent home-alert email notes whom
        it reached on its alerts."""
        from ketaflow.homediary.alerts import EMAIL_KIND, note_emailed
        from ketaflow.homediary.derive import home_dose_days, home_intake
        from ketaflow.mail.services import on_sent
        from ketaflow.safety.derive import register_home_dose_days
        from ketaflow.treatments.derive import register_home_intake

        register_home_dose_days(home_dose_days)
        register_home_intake(home_intake)
        on_sent(EMAIL_KIND, note_emailed)
