"""Risk alerts (and their history) move from the portal to questionnaires, rows and all.

State: both models are declared here on their old tables (`SeparateDatabaseAndState`, no SQL),
then `AlterModelTable` renames `portal_riskalert` and `portal_historicalriskalert` to this
app's names. `link` still points up to `portal.PortalLink` (a string, not an import), and
`assessment` to `treatments.RiskAssessment` (moved by treatments 0009). Portal 0003 drops the
old state.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("patients", "0002_long_change_reasons"),
        ("portal", "0002_risk_assessment"),
        ("questionnaires", "0002_long_change_reasons"),
        ("treatments", "0009_risk_assessment_moves_in"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RiskAlert",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("flag_code", models.CharField(max_length=40)),
                        ("message", models.TextField()),
                        ("raised_at", models.DateTimeField(db_index=True)),
                        ("emailed_to", models.JSONField(blank=True, default=list)),
                        ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                        ("action_note", models.TextField(blank=True)),
                        ("acknowledged_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("clinic", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.clinic")),
                        ("link", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="portal.portallink")),
                        ("patient", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.patient")),
                        ("response", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="questionnaires.instrumentresponse")),
                        ("assessment", models.ForeignKey(blank=True, help_text="The prescriber's suicide risk assessment that resolved it.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="alerts", to="treatments.riskassessment")),
                    ],
                    options={
                        "ordering": ["-raised_at", "-pk"],
                        "db_table": "portal_riskalert",
                        "constraints": [
                            models.UniqueConstraint(fields=("response", "flag_code"), name="one_alert_per_response_flag"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalRiskAlert",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        ("flag_code", models.CharField(max_length=40)),
                        ("message", models.TextField()),
                        ("raised_at", models.DateTimeField(db_index=True)),
                        ("emailed_to", models.JSONField(blank=True, default=list)),
                        ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                        ("action_note", models.TextField(blank=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.TextField(null=True)),
                        ("history_type", models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1)),
                        ("acknowledged_by", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("clinic", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.clinic")),
                        ("history_user", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("patient", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="patients.patient")),
                        ("response", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="questionnaires.instrumentresponse")),
                        ("link", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="portal.portallink")),
                        ("assessment", models.ForeignKey(blank=True, db_constraint=False, help_text="The prescriber's suicide risk assessment that resolved it.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="treatments.riskassessment")),
                    ],
                    options={
                        "verbose_name": "historical risk alert",
                        "verbose_name_plural": "historical risk alerts",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                        "db_table": "portal_historicalriskalert",
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
            ],
        ),
        migrations.AlterModelTable(name="riskalert", table=None),
        migrations.AlterModelTable(name="historicalriskalert", table=None),
    ]
