"""The prescriber's suicide risk assessment moves from the portal to treatments, rows and all.

State: the model is declared here on its old table (`SeparateDatabaseAndState`, no SQL), then
`AlterModelTable` renames `portal_riskassessment` to `treatments_riskassessment` (foreign keys
to it follow the rename on SQLite and PostgreSQL). Portal 0003 drops the old state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("patients", "0002_long_change_reasons"),
        ("portal", "0002_risk_assessment"),
        ("questionnaires", "0002_long_change_reasons"),
        ("treatments", "0008_dose_order_mg_cap_and_weight_basis_reason"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RiskAssessment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("risk_level", models.CharField(choices=[("none", "None (C-SSRS screen negative)"), ("low", "Low"), ("moderate", "Moderate"), ("high", "High")], max_length=10)),
                        ("plan", models.TextField()),
                        ("decision", models.CharField(choices=[("proceed", "Proceed with today's treatment"), ("defer", "Defer today's treatment")], max_length=10)),
                        ("assessed_at", models.DateTimeField()),
                        ("assessed_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("clinic", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.clinic")),
                        ("cssrs_response", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="questionnaires.instrumentresponse")),
                        ("patient", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.patient")),
                        ("session", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="treatments.treatmentsession")),
                    ],
                    options={
                        "ordering": ["-assessed_at", "-pk"],
                        "db_table": "portal_riskassessment",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="riskassessment", table=None),
    ]
