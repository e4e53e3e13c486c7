"""Containers, burettes and pH meters inside the runtime, on the titration lab (no rendering).

``engine.sim`` has its own unit tests; these check the behaviours that wrap it: what the meter
reads and when, how much the burette moves per lesson second and per drop, and that the step
machine sees the end point where the chemistry puts it.
"""

from __future__ import annotations

import itertools
import math

import pytest

from engine.core import events as ev
from engine.core.behaviours import BuretteBehaviour, PhMeterBehaviour
from engine.core.runtime import Runtime
from engine.core.script import LogicPilot, ScriptDriver, load_script
from engine.model.components import ButtonAction
from engine.model.loader import LoadedLesson, load_lesson
from engine.paths import LESSONS_DIR
from engine.sim.chemistry import (
    WATER_RGBA,
    Solution,
    equivalence_volume,
    indicator_rgba,
    titration_curve,
)
from tests.core.conftest import Recorder

ML = 1e-3  # litres per millilitre


@pytest.fixture(scope="module")
def titration() -> LoadedLesson:
    return load_lesson("titration-lab")


@pytest.fixture
def lab(titration: LoadedLesson) -> tuple[Runtime, Recorder]:
    rt = Runtime(titration.lesson)
    rec = Recorder(rt)
    rt.start()
    return rt, rec


def initial(rt: Runtime, entity: str) -> Solution:
    """The solution an entity's container starts with, as the lesson declares it."""
    spec = rt.lesson.entity(entity).container
    assert spec is not None
    return Solution.from_concentrations(
        spec.liquid.volume, dict(spec.liquid.solutes), spec.liquid.indicator
    )


def place_probe(rt: Runtime) -> None:
    """Put the pH probe in the flask, as a learner does."""
    assert rt.handle(ev.Grab(entity="ph_meter")) is None
    flask = rt.world.world_position("flask")
    assert rt.handle(ev.Release(entity="ph_meter", position=flask)) is None


def meter(rt: Runtime) -> PhMeterBehaviour:
    (behaviour,) = rt.behaviours["ph_meter"]
    assert isinstance(behaviour, PhMeterBehaviour)
    return behaviour


def burette(rt: Runtime) -> BuretteBehaviour:
    found = [b for b in rt.behaviours["burette"] if isinstance(b, BuretteBehaviour)]
    assert len(found) == 1
    return found[0]


def settle(rt: Runtime, limit: float = 30.0) -> float:
    """Run until the meter has a (settled) measurement; return it."""
    end = rt.t + limit
    while rt.measurement("ph_meter") is None:
        assert rt.t < end, "the meter never settled"
        rt.run_until(rt.t + 0.1)
    reading = rt.measurement("ph_meter")
    assert reading is not None
    return reading


def run_in(rt: Runtime, volume: float) -> None:
    """Open the tap for as long as ``volume`` litres take at the burette's flow, then close it."""
    flow = burette(rt).spec.flow
    assert rt.handle(ev.Press(entity="tap_open")) is None
    rt.run_until(rt.t + volume / flow)
    assert rt.handle(ev.Press(entity="tap_close")) is None


def titrate_to_end_point(rt: Runtime) -> list[tuple[float, float]]:
    """Run in 19 mL, then add drops until the flask turns pink; (dispensed, pH) after each."""
    run_in(rt, 19.0 * ML)
    curve = [(rt.value("burette.dispensed"), rt.value("flask.ph"))]
    while rt.value("flask.ph") < 8.2:
        assert len(curve) < 100, "no end point within 5 mL of drops"
        assert rt.handle(ev.Press(entity="drop")) is None
        curve.append((rt.value("burette.dispensed"), rt.value("flask.ph")))
    return curve


# --- the pH meter --------------------------------------------------------------------------------


def test_meter_reads_nothing_until_the_probe_is_in_the_flask(
    lab: tuple[Runtime, Recorder],
) -> None:
    rt, rec = lab
    rt.run_until(5.0)
    assert rt.measurement("ph_meter") is None
    assert math.isnan(rt.value("ph_meter.ph"))
    assert rt.readout("ph_meter") == "pH --"
    assert not meter(rt).ticking
    assert rec.of(ev.Measured) == []


def test_meter_settles_on_the_flasks_computed_ph(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    place_probe(rt)
    assert rt.in_zone("ph_meter") == "flask"
    assert rt.step is not None and rt.step.id == "read_initial"
    true_ph = rt.value("flask.ph")
    # 0.080 mol/L acetic acid, Ka 1.8e-5: [H+] ≈ √(Ka·c), pH ≈ 2.92 (HCl would give 1.10)
    assert true_ph == pytest.approx(-math.log10(math.sqrt(1.8e-5 * 0.080)), abs=0.01)
    assert true_ph == pytest.approx(initial(rt, "flask").ph(), abs=1e-12)

    # the electrode starts in its storage buffer (pH 7) and lags: no measurement yet
    rt.run_until(rt.t + 0.5)
    assert rt.measurement("ph_meter") is None
    assert true_ph < rt.value("ph_meter.ph") < 7.0

    reading = settle(rt)
    # "settled" is within half a digit of the truth, then the display rounds: one digit at most
    assert reading == pytest.approx(true_ph, abs=0.01)
    assert rt.readout("ph_meter") == f"pH {reading:.2f}"
    rt.run_until(rt.t + 10.0)
    assert rt.value("ph_meter.ph") == meter(rt).meter.read(true_ph)  # and then it is exact
    assert rt.step is not None and rt.step.id == "read_initial"  # still waits for the answer
    rt.handle(ev.Answer(question="initial_ph", response=reading))
    assert rt.step is not None and rt.step.id == "titrate"


def test_settled_readings_emit_measured_events(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    truth: list[tuple[ev.Measured, float, bool]] = []  # event, flask pH then, tap open then

    def note(event: ev.LessonEvent) -> None:
        if isinstance(event, ev.Measured):
            truth.append((event, rt.value("flask.ph"), burette(rt).open))

    rt.subscribe(note)
    place_probe(rt)
    reading = settle(rt)
    first = rec.of(ev.Measured)[0]
    assert (first.instrument, first.quantity, first.unit) == ("ph_meter", "ph", "pH")
    assert first.value == reading and first.step == "read_initial"
    assert rt.measurements["ph_meter"] == reading

    # a new liquid, a new settled reading, and a new event
    run_in(rt, 5.0 * ML)  # a quarter of the way: into the acetate buffer, pH about 4.3
    rt.run_until(rt.t + 10.0)
    last = rec.of(ev.Measured)[-1]
    assert last.value == meter(rt).meter.read(rt.value("flask.ph"))
    assert last.value > first.value + 1.0
    # every event is a settled reading (within a display digit of the pH at that moment),
    # so none came while NaOH was running in and the electrode lagged behind
    assert all(abs(e.value - true_ph) <= 0.01 for e, true_ph, _ in truth)
    assert not any(tap_open for _, _, tap_open in truth)


# --- the burette ---------------------------------------------------------------------------------


def test_open_tap_dispenses_at_the_flow_rate_per_lesson_second(
    lab: tuple[Runtime, Recorder],
) -> None:
    rt, _rec = lab
    flow = burette(rt).spec.flow
    assert flow == pytest.approx(0.5 * ML)  # 0.5 mL/s, as the lesson says
    assert rt.handle(ev.Press(entity="tap_open")) is None
    assert rt.value("burette.open") == 1.0
    rt.run_until(rt.t + 10.0)
    assert rt.value("burette.dispensed") == pytest.approx(10.0 * flow, rel=1e-9)
    assert rt.value("flask.volume") == pytest.approx(25.0 * ML + 10.0 * flow, rel=1e-9)
    assert rt.value("burette.volume") == pytest.approx(50.0 * ML - 10.0 * flow, rel=1e-9)
    # the moles follow the volume: 5 mL of 0.100 mol/L NaOH in 30 mL
    assert rt.value("flask.naoh") == pytest.approx(0.100 * 5.0 / 30.0, rel=1e-9)

    assert rt.handle(ev.Press(entity="tap_close")) is None
    before = rt.value("burette.dispensed")
    rt.run_until(rt.t + 5.0)
    assert rt.value("burette.dispensed") == before
    assert not burette(rt).ticking


def test_drop_adds_exactly_one_drop(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    drop = burette(rt).spec.drop
    assert drop == pytest.approx(0.05 * ML)
    rt.dirty_labels.clear()
    rt.dirty_liquids.clear()
    assert rt.handle(ev.Press(entity="drop")) is None
    assert rt.value("burette.dispensed") == pytest.approx(drop, rel=1e-12)
    assert rt.value("flask.volume") == pytest.approx(25.0 * ML + drop, rel=1e-12)
    assert rt.value("burette.volume") == pytest.approx(50.0 * ML - drop, rel=1e-12)
    assert rt.value("burette.open") == 0.0  # a drop does not leave the tap open
    rt.run_until(rt.t + 2.0)
    assert rt.value("burette.dispensed") == pytest.approx(drop, rel=1e-12)
    # the presentation is told: the two liquids and the burette's read-out changed
    assert {"flask", "burette"} <= rt.dirty_liquids
    assert "burette" in rt.dirty_labels
    assert rt.readout("burette") == "0.05 mL"


def test_burette_stops_when_empty(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    rt.handle(ev.Press(entity="tap_open"))
    rt.run_until(rt.t + 150.0)  # 50 mL at 0.5 mL/s empties it in 100 s
    assert rt.value("burette.volume") == 0.0
    assert rt.value("burette.dispensed") == pytest.approx(50.0 * ML, rel=1e-9)
    assert rt.value("flask.volume") == pytest.approx(75.0 * ML, rel=1e-9)
    assert rt.value("burette.open") == 0.0 and not burette(rt).ticking
    assert math.isnan(rt.value("burette.ph"))  # nothing left, no pH
    rt.handle(ev.Press(entity="drop"))
    assert rt.value("burette.dispensed") == pytest.approx(50.0 * ML, rel=1e-9)
    # 5 mmol of NaOH on 2 mmol of acetic acid: 3 mmol of OH- left in 75 mL
    assert rt.value("flask.ph") == pytest.approx(14.0 + math.log10(0.003 / 0.075), abs=0.01)


def test_a_press_reaches_the_behaviour_that_has_the_action(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    burette = next(b for b in rt.behaviours["burette"] if isinstance(b, BuretteBehaviour))
    # the burette entity is also a container: its tap must still open
    assert rt.handle(ev.Press(entity="tap_open")) is None
    assert burette.open
    assert rt.handle(ev.Press(entity="tap_close")) is None
    assert not burette.open


def test_a_press_with_an_impossible_action_changes_nothing(titration: LoadedLesson) -> None:
    lesson = titration.lesson
    tap = lesson.entity("tap_open")
    assert tap.button is not None
    broken_button = tap.button.model_copy(
        update={"actions": [*tap.button.actions, ButtonAction(call="flask.stir")]}
    )
    broken = tap.model_copy(update={"button": broken_button})
    entities = [broken if e.id == "tap_open" else e for e in lesson.entities]
    rt = Runtime(lesson.model_copy(update={"entities": entities}))
    rt.start()
    assert rt.handle(ev.Press(entity="tap_open")) == "'flask' has no action 'stir'"
    burette = next(b for b in rt.behaviours["burette"] if isinstance(b, BuretteBehaviour))
    assert not burette.open  # all or nothing: the tap did not open either


# --- the titration -----------------------------------------------------------------------------


def test_ph_crosses_7_at_the_equivalence_volume(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    analyte, titrant = initial(rt, "flask"), initial(rt, "burette")
    v_eq = equivalence_volume(analyte, titrant)
    assert v_eq == pytest.approx(20.0 * ML)  # 2.0 mmol of acid, 0.100 mol/L of base

    curve = titrate_to_end_point(rt)
    volumes = [v for v, _ in curve]
    phs = [p for _, p in curve]
    # the runtime's drop-by-drop mixing agrees with the closed-form titration curve
    assert phs == pytest.approx(list(titration_curve(analyte, titrant, volumes)), abs=1e-6)
    assert all(b > a for a, b in itertools.pairwise(phs))  # each drop raises the pH

    crossing = next(v for v, p in curve if p >= 7.0)
    # a weak acid's pH passes 7 just before equivalence (the last ~0.5 % of the acid buffers
    # it), so within a few drops below the stoichiometric volume, never after it
    assert v_eq - 0.2 * ML <= crossing <= v_eq + 1e-9
    # the end point (first pink) is the first drop at or past equivalence
    end = volumes[-1]
    assert v_eq - 1e-9 <= end < v_eq + burette(rt).spec.drop + 1e-9
    # the jump: the last two drops raise the pH more than the first ten drops after 19 mL
    assert phs[-1] - phs[-3] > 1.5 > phs[10] - phs[0]


def test_indicator_turns_pink_at_the_end_point(lab: tuple[Runtime, Recorder]) -> None:
    rt, _rec = lab
    flask = rt.container("flask")
    assert flask.indicator == "phenolphthalein"
    assert flask.rgba() == WATER_RGBA  # colourless in acid
    curve = titrate_to_end_point(rt)
    before = indicator_rgba("phenolphthalein", curve[-2][1])
    assert before == WATER_RGBA  # still colourless one drop before
    after = flask.rgba()
    assert after == indicator_rgba("phenolphthalein", flask.ph)
    # at equivalence (pH 8.7) the pink is faint but plain: green drops, the tint thickens
    red, green, _blue, alpha = after
    assert red > WATER_RGBA[0] and green < WATER_RGBA[1] - 0.1 and alpha > WATER_RGBA[3]
    # one drop more (pH above 10) and it is deep pink
    rt.handle(ev.Press(entity="drop"))
    red, green, blue, alpha = flask.rgba()
    assert red > 0.9 and green < 0.2 and blue > 0.5 and alpha == pytest.approx(0.70)


def test_end_point_step_waits_for_a_steady_meter(lab: tuple[Runtime, Recorder]) -> None:
    rt, rec = lab
    place_probe(rt)
    rt.handle(ev.Answer(question="initial_ph", response=settle(rt)))
    assert rt.step is not None and rt.step.id == "titrate"
    titrate_to_end_point(rt)
    rt.run_until(rt.t + 0.1)
    # pink already, but the electrode lags behind a jump of several pH units
    assert rt.step is not None and rt.step.id == "titrate"
    settle(rt)
    assert rt.step is not None and rt.step.id == "compute"
    done = rec.of(ev.StepCompleted)[-1]
    assert done.step == "titrate" and rt.value("flask.ph") >= 8.2


def test_concentration_from_the_dispensed_volume_is_graded_right(
    lab: tuple[Runtime, Recorder],
) -> None:
    rt, rec = lab
    titrate_to_end_point(rt)
    dispensed = rt.value("burette.dispensed")
    acid_volume, base = 25.0 * ML, 0.100
    rt.step_index = 3  # the compute step: grading depends only on the question and the state
    assert rt.step is not None and rt.step.ask == "acid_concentration"

    inverted = base * acid_volume / dispensed
    moles = base * dispensed
    rt.handle(ev.Answer(question="acid_concentration", response=inverted))
    rt.handle(ev.Answer(question="acid_concentration", response=moles))
    rt.handle(ev.Answer(question="acid_concentration", response=base * dispensed / acid_volume))
    answers = rec.of(ev.Answered)
    assert [a.correct for a in answers] == [False, False, True]
    assert "Upside down" in answers[0].feedback
    assert "in moles" in answers[1].feedback


def test_an_overshot_titration_gives_a_wrong_concentration(
    lab: tuple[Runtime, Recorder],
) -> None:
    rt, rec = lab
    run_in(rt, 22.0 * ML)  # 2 mL past the end point: deep pink
    rt.step_index = 3
    dispensed = rt.value("burette.dispensed")
    rt.handle(ev.Answer(question="acid_concentration", response=0.100 * dispensed / (25.0 * ML)))
    answer = rec.of(ev.Answered)[-1]
    assert not answer.correct  # 0.088 mol/L is 10 % high: outside the default 5 %
    assert "past the end point" in answer.feedback


def test_walkthrough_completes_without_rendering(titration: LoadedLesson) -> None:
    rt = Runtime(titration.lesson)
    rec = Recorder(rt)
    rt.start()
    script = load_script(LESSONS_DIR / "titration-lab" / "scripts" / "walkthrough.yaml")
    ScriptDriver(rt, LogicPilot()).run(script)
    assert rt.completed
    assert [a.correct for a in rec.of(ev.Answered)] == [True, True, True]
    assert rt.value("flask.ph") > 8.2
    # the walkthrough stops at the first pink: within one drop past equivalence
    assert rt.value("burette.dispensed") == pytest.approx(20.0 * ML, abs=0.05 * ML)


def test_distractors_do_not_fit_the_flask(titration: LoadedLesson) -> None:
    rt = Runtime(titration.lesson, knob_levels={"distractors": 1, "scaffolds": 1})
    rt.start()
    assert rt.world.entities["thermometer"].visible
    assert not rt.world.entities["formula_card"].visible  # the scaffold is gone at level 1
    assert rt.handle(ev.Grab(entity="thermometer")) is None
    rt.handle(ev.Release(entity="thermometer", position=rt.world.world_position("flask")))
    assert rt.in_zone("thermometer") is None
    start = rt.world.entities["thermometer"].start_position
    assert rt.world.world_position("thermometer") == start  # snapped back to the bench
    rt.run_until(5.0)
    assert rt.measurement("ph_meter") is None  # and the meter still reads nothing
