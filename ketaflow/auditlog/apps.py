from django.apps import AppConfig


class AuditLogConfig(AppConfig):
    """Reading the audit trail: the clinic's audit log, a patient's access log, the API.

    Apart from `audit` (which records and sits below every app, accounts included) because
    reading is scoped by role and by patient, so it stands above `accounts` and `patients`.
    """

    name = "ketaflow.auditlog"
    label = "auditlog"
    verbose_name = "Audit log"
