"""Risk alerts now live in questionnaires (0003), risk assessments in treatments (0009).

Their tables were renamed there, rows kept; here the portal forgets them (state only) and
their content types follow them, so anything keyed by content type keeps pointing at them.
"""

from django.db import migrations

MOVED = {
    "riskalert": "questionnaires",
    "historicalriskalert": "questionnaires",
    "riskassessment": "treatments",
}


def _move_content_types(apps, schema_editor, forward=True):  # type: ignore[no-untyped-def]
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app in MOVED.items():
        old, new = ("portal", app) if forward else (app, "portal")
        if content_type.objects.using(db).filter(app_label=new, model=model).exists():
            continue
        content_type.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move_content_types(apps, schema_editor)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move_content_types(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0002_risk_assessment"),
        ("questionnaires", "0003_risk_alert_moves_in"),
        ("treatments", "0009_risk_assessment_moves_in"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="RiskAlert"),
                migrations.DeleteModel(name="HistoricalRiskAlert"),
                migrations.DeleteModel(name="RiskAssessment"),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
