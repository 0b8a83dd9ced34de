"""An amendment reason is free text: a long one is kept whole in the history on both databases."""

from ketaflow.patients.services import add_entry, amend_entry


def test_a_long_amendment_reason_is_kept_whole_in_the_entrys_history(nurse, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex", "severity": "mild"})
    reason = (
        "Corrected after speaking to the patient's GP practice by phone: the reaction to latex "
        "was a severe contact dermatitis with swelling, documented in their records in 2019, "
        "not the mild rash first reported at intake."
    )
    assert len(reason) > 100
    amend_entry(nurse, allergy, {"severity": "severe"}, reason)
    latest = allergy.history.order_by("-history_date").first()
    assert latest.history_change_reason == reason
    assert latest.history_user == nurse
