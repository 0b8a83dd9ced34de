"""The clinic's phone number moves to the clinic (`Clinic.phone`), its one home.

The discharge sheet (treatments, below portal) shows it too. The numbers clinics typed on
the crisis page are copied over before the column goes; a reverse migration copies back.
"""

from django.db import migrations


def copy_to_clinic(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    CrisisResources = apps.get_model("portal", "CrisisResources")
    for clinic_id, phone in CrisisResources.objects.exclude(clinic_phone="").values_list(
        "clinic_id", "clinic_phone"
    ):
        Clinic.objects.filter(pk=clinic_id, phone="").update(phone=phone)


def copy_back(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    CrisisResources = apps.get_model("portal", "CrisisResources")
    for clinic_id, phone in Clinic.objects.exclude(phone="").values_list("pk", "phone"):
        CrisisResources.objects.filter(clinic_id=clinic_id).update(clinic_phone=phone)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_clinic_phone"),
        ("portal", "0003_risk_models_move_out"),
    ]

    operations = [
        migrations.RunPython(copy_to_clinic, copy_back),
        migrations.RemoveField(model_name="crisisresources", name="clinic_phone"),
        migrations.RemoveField(model_name="historicalcrisisresources", name="clinic_phone"),
    ]
