"""PCL-5: clusters, provisional PTSD by total and by the DSM-5 rule, point change."""

from __future__ import annotations

from ketaflow.clinical.instruments import PCL5, FlagCode
from ketaflow.clinical.instruments.pcl5 import meets_dsm5_rule


def answers(**by_item: int) -> list[int]:
    values = [0] * 20
    for key, value in by_item.items():
        values[int(key[1:]) - 1] = value
    return values


def test_pcl5_has_20_items_0_to_4_total_0_to_80():
    assert len(PCL5.items) == 20
    assert (PCL5.minimum, PCL5.maximum) == (0, 80)
    assert PCL5.score([4] * 20).total == 80


def test_pcl5_clusters_are_b_1_5_c_6_7_d_8_14_e_15_20():
    assert {s.key: s.items for s in PCL5.subscales} == {
        "cluster_b": (1, 2, 3, 4, 5),
        "cluster_c": (6, 7),
        "cluster_d": (8, 9, 10, 11, 12, 13, 14),
        "cluster_e": (15, 16, 17, 18, 19, 20),
    }


def test_pcl5_cluster_subtotals_add_up_to_the_total():
    score = PCL5.score(list(range(5)) * 4)
    assert score.subscale("cluster_b") == 0 + 1 + 2 + 3 + 4
    assert score.subscale("cluster_c") == 0 + 1
    assert sum(score.subscale(k) for k in ("cluster_b", "cluster_c", "cluster_d", "cluster_e")) == (
        score.total
    )


def test_pcl5_has_no_severity_band():
    score = PCL5.score([1] * 20)
    assert score.severity is None
    assert score.band_set is None


def test_pcl5_total_cutoff_alone_without_the_dsm5_rule():
    only_b = answers(i1=4, i2=4, i3=4, i4=4, i5=4, i8=4, i9=4, i10=4, i11=1)  # no C items
    score = PCL5.score(only_b)
    assert score.total == 33
    assert not meets_dsm5_rule(dict(enumerate(only_b, start=1)))
    flag = next(f for f in score.flags if f.code is FlagCode.PCL5_PROVISIONAL_PTSD)
    assert "total 33 >= cut-off 33" in flag.message
    assert "DSM-5" not in flag.message
    thirty_two = answers(i1=4, i2=4, i3=4, i4=4, i5=4, i8=4, i9=4, i10=4)
    assert PCL5.score(thirty_two).total == 32
    assert not PCL5.score(thirty_two).flags


def test_pcl5_clinic_may_lower_the_total_cutoff_to_31():
    thirty_one = answers(i1=4, i2=4, i3=4, i4=4, i5=4, i8=4, i9=4, i10=3)
    assert not PCL5.score(answers(i1=4, i2=4, i3=4, i4=4, i5=4, i8=4, i9=2)).flags
    assert PCL5.score(thirty_one, cutoffs={"provisional_ptsd": 31}).has_flag(
        FlagCode.PCL5_PROVISIONAL_PTSD
    )


def test_pcl5_dsm5_rule_needs_1_b_1_c_2_d_2_e_rated_at_least_2():
    minimal = answers(i1=2, i6=2, i8=2, i9=2, i15=2, i16=2)
    score = PCL5.score(minimal)
    assert score.total == 12
    flag = next(f for f in score.flags if f.code is FlagCode.PCL5_PROVISIONAL_PTSD)
    assert "DSM-5 cluster rule met" in flag.message


def test_pcl5_dsm5_rule_fails_when_any_cluster_is_short():
    for missing in ("i1", "i6", "i9", "i16"):
        values = {"i1": 2, "i6": 2, "i8": 2, "i9": 2, "i15": 2, "i16": 2}
        values[missing] = 1
        assert not PCL5.score(answers(**values)).flags, missing


def test_pcl5_change_is_judged_in_points_5_reliable_10_meaningful():
    assert PCL5.point_change is not None
    assert PCL5.point_change.reliable.value == 5
    assert PCL5.point_change.meaningful.value == 10


def test_pcl5_response_is_a_fall_of_10_points_flagged_for_local_signoff():
    criteria = PCL5.response
    assert criteria is not None
    assert criteria.response_min_improvement_pct is None
    assert criteria.response_min_points is not None
    assert criteria.response_min_points.value == 10  # clinically meaningful change (S40e)
    assert criteria.response_min_points.needs_local_signoff
    assert criteria.is_response(50, 40)
    assert not criteria.is_response(50, 41)
    assert criteria.is_response(12, 2)  # points, not percent: 83% but also 10 points
    assert not criteria.is_response(20, 11)  # 45% better, only 9 points
    assert criteria.response_label == "≥ 10 points better"
    assert criteria.response_score(50) == 40
    assert criteria.remission_at_or_below is None  # no severity bands, no remission


def test_pcl5_recall_is_past_month():
    assert PCL5.recall_period == "past month"
