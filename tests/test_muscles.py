from repvision.muscles import MUSCLE_GROUPS, activation_from_prediction, known_exercises, muscles_for

VOCABULARY = ("squat push_up pull_up bench_press jumping_jack sit_up clean_and_jerk jump_rope front_raise bicep_curl "
              "shoulder_press shoulder_shrug lateral_raise dip plank russian_twist deadlift lunge pommel_horse").split()


def test_every_vocabulary_exercise_has_muscles():
    assert set(VOCABULARY) == set(known_exercises())
    extra = {"calves", "traps", "forearms"}
    for ex in VOCABULARY:
        m = muscles_for(ex)
        assert m.primary and set(m.primary) | set(m.secondary) <= set(MUSCLE_GROUPS) | extra
        assert not set(m.primary) & set(m.secondary)
        assert "ExRx" in m.source


def test_known_facts():
    assert "quads" in muscles_for("squat").primary
    assert "lats" in muscles_for("pull_up").primary
    assert "biceps" in muscles_for("bicep_curl").primary
    assert muscles_for("other") is None and muscles_for("unknown") is None


def test_activation_of_a_certain_prediction():
    from repvision.types import ExercisePrediction

    act = activation_from_prediction(ExercisePrediction("squat", 1.0, (("squat", 1.0),))).activation
    assert set(act) == set(MUSCLE_GROUPS)  # exactly the 11 groups; calves etc. left out
    assert act["quads"] == act["glutes"] == 1.0
    assert act["hamstrings"] == act["lower_back"] == act["abs"] == 0.5
    assert act["chest"] == act["lats"] == act["biceps"] == 0.0


def test_uncertain_prediction_spreads_the_muscles():
    import pytest

    from repvision.types import ExercisePrediction

    certain = activation_from_prediction([("push_up", 1.0)]).activation
    unsure = activation_from_prediction(
        ExercisePrediction("unknown", 0.4, (("push_up", 0.4), ("pull_up", 0.35), ("squat", 0.25)))).activation
    active = lambda a: {g for g, v in a.items() if v > 0}  # noqa: E731
    assert active(certain) < active(unsure)
    assert {"lats", "biceps", "quads", "glutes"} <= active(unsure) - active(certain)
    assert max(unsure.values()) == 1.0 and all(0.0 <= v <= 1.0 for v in unsure.values())
    # abs (secondary in all three) add up past any single exercise's primary muscles; pull-up's primary muscles
    # come close to push-up's: chest 0.4, lats 0.35, abs 0.5*(0.4 + 0.35 + 0.25) = 0.5 before normalising
    assert unsure["abs"] == 1.0
    assert unsure["chest"] == pytest.approx(0.8) and unsure["lats"] == pytest.approx(0.7)


def test_activation_of_labels_without_muscles_is_zero():
    import pytest

    act = activation_from_prediction([("other", 0.9), ("golf_swing", 0.1)])
    assert all(v == 0.0 for v in act.activation.values()) and act.ranked() == []
    with pytest.raises(ValueError):
        activation_from_prediction([("squat", float("nan"))])
