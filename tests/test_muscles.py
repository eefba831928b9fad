from repvision.muscles import MUSCLE_GROUPS, known_exercises, muscles_for

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
