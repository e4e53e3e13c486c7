"""Controller and hand input: one action set, bindings for the common controllers, haptics.

Actions (each on both hands): ``grip`` and ``aim`` poses, ``select`` (trigger), ``grab``
(squeeze), ``move`` (thumbstick or trackpad), ``menu``, ``hint`` and a ``haptic`` output.
Suggested bindings cover khr/simple_controller, oculus/touch_controller,
valve/index_controller, htc/vive_controller and microsoft/motion_controller; the runtime picks
the one that matches the hardware (or remaps). Where the runtime offers
``XR_EXT_hand_tracking``, a thumb-to-index pinch counts as grabbing.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field
from typing import Any

from panda3d.core import Point3, Quat

from engine.rigs.xr.space import to_panda_pos, to_panda_quat

HANDS = ("left", "right")
#: a pinch: thumb tip and index tip closer than this, metres (released above PINCH_OFF)
PINCH_ON, PINCH_OFF = 0.02, 0.035
#: haptic pulses: (seconds, amplitude) for what the learner did
PULSES = {
    "grab": (0.03, 0.5),
    "snap": (0.06, 0.8),
    "correct": (0.08, 0.6),
    "wrong": (0.25, 1.0),
}

_SIMPLE = "/interaction_profiles/khr/simple_controller"
_TOUCH = "/interaction_profiles/oculus/touch_controller"
_INDEX = "/interaction_profiles/valve/index_controller"
_VIVE = "/interaction_profiles/htc/vive_controller"
_WMR = "/interaction_profiles/microsoft/motion_controller"

#: action -> component path per profile ("{h}" is the hand); a component a profile lacks is
#: left out (suggesting a path the profile does not have fails the whole profile)
BINDINGS: dict[str, dict[str, list[str]]] = {
    _SIMPLE: {
        "grip": ["{h}/input/grip/pose"],
        "aim": ["{h}/input/aim/pose"],
        "select": ["{h}/input/select/click"],
        "menu": ["{h}/input/menu/click"],
        "haptic": ["{h}/output/haptic"],
    },
    _TOUCH: {
        "grip": ["{h}/input/grip/pose"],
        "aim": ["{h}/input/aim/pose"],
        "select": ["{h}/input/trigger/value"],
        "grab": ["{h}/input/squeeze/value"],
        "move": ["{h}/input/thumbstick"],
        "menu": ["/user/hand/left/input/menu/click", "/user/hand/right/input/b/click"],
        "hint": ["/user/hand/left/input/x/click", "/user/hand/right/input/a/click"],
        "haptic": ["{h}/output/haptic"],
    },
    _INDEX: {
        "grip": ["{h}/input/grip/pose"],
        "aim": ["{h}/input/aim/pose"],
        "select": ["{h}/input/trigger/value"],
        "grab": ["{h}/input/squeeze/value"],
        "move": ["{h}/input/thumbstick"],
        "menu": ["{h}/input/b/click"],
        "hint": ["{h}/input/a/click"],
        "haptic": ["{h}/output/haptic"],
    },
    _VIVE: {
        "grip": ["{h}/input/grip/pose"],
        "aim": ["{h}/input/aim/pose"],
        "select": ["{h}/input/trigger/value"],
        "grab": ["{h}/input/squeeze/click"],
        "move": ["{h}/input/trackpad"],
        "menu": ["{h}/input/menu/click"],
        "haptic": ["{h}/output/haptic"],
    },
    _WMR: {
        "grip": ["{h}/input/grip/pose"],
        "aim": ["{h}/input/aim/pose"],
        "select": ["{h}/input/trigger/value"],
        "grab": ["{h}/input/squeeze/click"],
        "move": ["{h}/input/thumbstick"],
        "menu": ["{h}/input/menu/click"],
        "haptic": ["{h}/output/haptic"],
    },
}


def _expand(templates: list[str]) -> list[str]:
    """Component paths with ``{h}`` made into one path per hand."""
    out = []
    for template in templates:
        if "{h}" in template:
            out += [template.format(h=f"/user/hand/{hand}") for hand in HANDS]
        else:
            out.append(template)
    return out


@dataclass
class HandState:
    """One hand this frame, in the tracking origin's (stage) frame, Panda3D axes."""

    tracked: bool = False
    grip_pos: Point3 = field(default_factory=Point3)
    grip_quat: Quat = field(default_factory=Quat)
    aim_pos: Point3 = field(default_factory=Point3)
    aim_quat: Quat = field(default_factory=Quat)
    select: float = 0.0
    grab: float = 0.0
    move: tuple[float, float] = (0.0, 0.0)
    menu: bool = False
    hint: bool = False
    pinch: bool = False
    #: thumb tip to index tip, metres (inf without hand tracking)
    pinch_gap: float = float("inf")


class XrInput:
    """The action set and its spaces; :meth:`sync` reads both hands each frame."""

    def __init__(self, instance: Any, session: Any, extensions: set[str]) -> None:
        """Create the actions, suggest bindings, attach the set, make the pose spaces."""
        import xr

        self.instance = instance
        self.session = session
        self.hand_paths = [xr.string_to_path(instance, f"/user/hand/{h}") for h in HANDS]
        self.action_set = xr.create_action_set(
            instance,
            xr.ActionSetCreateInfo(
                action_set_name="lesson", localized_action_set_name="Lesson", priority=0
            ),
        )
        kinds = {
            "grip": xr.ActionType.POSE_INPUT,
            "aim": xr.ActionType.POSE_INPUT,
            "select": xr.ActionType.FLOAT_INPUT,
            "grab": xr.ActionType.FLOAT_INPUT,
            "move": xr.ActionType.VECTOR2F_INPUT,
            "menu": xr.ActionType.BOOLEAN_INPUT,
            "hint": xr.ActionType.BOOLEAN_INPUT,
            "haptic": xr.ActionType.VIBRATION_OUTPUT,
        }
        paths = (xr.Path * 2)(*self.hand_paths)
        self.actions = {
            name: xr.create_action(
                self.action_set,
                xr.ActionCreateInfo(
                    action_type=kind,
                    action_name=name,
                    localized_action_name=name.capitalize(),
                    count_subaction_paths=2,
                    subaction_paths=paths,
                ),
            )
            for name, kind in kinds.items()
        }
        self.profiles_suggested: list[str] = []
        for profile, table in BINDINGS.items():
            suggested = [
                xr.ActionSuggestedBinding(self.actions[name], xr.string_to_path(instance, path))
                for name, templates in table.items()
                for path in _expand(templates)
            ]
            array = (xr.ActionSuggestedBinding * len(suggested))(*suggested)
            xr.suggest_interaction_profile_bindings(
                instance,
                xr.InteractionProfileSuggestedBinding(
                    interaction_profile=xr.string_to_path(instance, profile),
                    count_suggested_bindings=len(suggested),
                    suggested_bindings=array,
                ),
            )
            self.profiles_suggested.append(profile)
        xr.attach_session_action_sets(
            session,
            xr.SessionActionSetsAttachInfo(
                count_action_sets=1, action_sets=ctypes.pointer(self.action_set)
            ),
        )
        self.spaces = {
            (name, i): xr.create_action_space(
                session, xr.ActionSpaceCreateInfo(action=self.actions[name], subaction_path=path)
            )
            for name in ("grip", "aim")
            for i, path in enumerate(self.hand_paths)
        }
        self.hands = [HandState(), HandState()]
        self.trackers: list[Any] = []
        if "XR_EXT_hand_tracking" in extensions:
            try:
                self.trackers = [
                    xr.create_hand_tracker_ext(
                        session,
                        xr.HandTrackerCreateInfoEXT(
                            hand=hand, hand_joint_set=xr.HandJointSetEXT.DEFAULT
                        ),
                    )
                    for hand in (xr.HandEXT.LEFT, xr.HandEXT.RIGHT)
                ]
            except xr.XrException:
                self.trackers = []  # offered but not usable with this system: controllers only

    def sync(self, space: Any, time: int) -> list[HandState]:
        """Sync the actions and read both hands at ``time``, relative to ``space``."""
        import xr

        try:
            xr.sync_actions(
                self.session,
                xr.ActionsSyncInfo(
                    count_active_action_sets=1,
                    active_action_sets=ctypes.pointer(
                        xr.ActiveActionSet(self.action_set, xr.NULL_PATH)
                    ),
                ),
            )
        except xr.SessionNotFocused:
            # without input focus the actions read as inactive: the hands do nothing
            for hand in self.hands:
                hand.tracked = False
            return self.hands
        valid = (
            xr.SpaceLocationFlags.POSITION_VALID_BIT | xr.SpaceLocationFlags.ORIENTATION_VALID_BIT
        )
        for i, hand in enumerate(self.hands):
            path = self.hand_paths[i]
            info = lambda name, p=path: xr.ActionStateGetInfo(self.actions[name], p)  # noqa: E731
            grip = xr.locate_space(self.spaces[("grip", i)], space, time)
            aim = xr.locate_space(self.spaces[("aim", i)], space, time)
            hand.tracked = (grip.location_flags & valid) == valid
            if hand.tracked:
                hand.grip_pos = to_panda_pos(grip.pose.position)
                hand.grip_quat = to_panda_quat(grip.pose.orientation)
            if (aim.location_flags & valid) == valid:
                hand.aim_pos = to_panda_pos(aim.pose.position)
                hand.aim_quat = to_panda_quat(aim.pose.orientation)
            hand.select = xr.get_action_state_float(self.session, info("select")).current_state
            hand.grab = xr.get_action_state_float(self.session, info("grab")).current_state
            move = xr.get_action_state_vector2f(self.session, info("move")).current_state
            hand.move = (move.x, move.y)
            hand.menu = bool(xr.get_action_state_boolean(self.session, info("menu")).current_state)
            hand.hint = bool(xr.get_action_state_boolean(self.session, info("hint")).current_state)
        if self.trackers:
            self._pinches(space, time)
        return self.hands

    def _pinches(self, space: Any, time: int) -> None:
        """Thumb-to-index pinches from hand tracking, with hysteresis against flicker."""
        import xr

        count = xr.HAND_JOINT_COUNT_EXT
        for hand, tracker in zip(self.hands, self.trackers, strict=True):
            joints = (xr.HandJointLocationEXT * count)()
            locations = xr.HandJointLocationsEXT(joint_count=count, joint_locations=joints)
            fn = ctypes.cast(
                xr.get_instance_proc_addr(self.instance, "xrLocateHandJointsEXT"),
                xr.PFN_xrLocateHandJointsEXT,
            )
            result = fn(
                tracker,
                xr.HandJointsLocateInfoEXT(base_space=space, time=time),
                ctypes.byref(locations),
            )
            if result != xr.Result.SUCCESS.value or not locations.is_active:
                hand.pinch, hand.pinch_gap = False, float("inf")
                continue
            thumb = joints[xr.HandJointEXT.THUMB_TIP.value].pose.position
            index = joints[xr.HandJointEXT.INDEX_TIP.value].pose.position
            gap = math.dist((thumb.x, thumb.y, thumb.z), (index.x, index.y, index.z))
            hand.pinch_gap = gap
            hand.pinch = gap < (PINCH_OFF if hand.pinch else PINCH_ON)

    def pulse(self, hand: int, what: str) -> None:
        """A haptic pulse on ``hand`` for ``what`` (a key of :data:`PULSES`)."""
        import xr

        seconds, amplitude = PULSES[what]
        vibration = xr.HapticVibration(
            duration=int(seconds * 1e9), frequency=xr.FREQUENCY_UNSPECIFIED, amplitude=amplitude
        )
        xr.apply_haptic_feedback(
            self.session,
            xr.HapticActionInfo(
                action=self.actions["haptic"], subaction_path=self.hand_paths[hand]
            ),
            ctypes.cast(ctypes.byref(vibration), ctypes.POINTER(xr.HapticBaseHeader)).contents,
        )

    def current_profile(self, hand: int) -> str:
        """The interaction profile the runtime chose for ``hand`` ('' before one is bound)."""
        import xr

        state = xr.get_current_interaction_profile(self.session, self.hand_paths[hand])
        profile = state.interaction_profile
        return xr.path_to_string(self.instance, profile) if profile else ""

    def destroy(self) -> None:
        """Destroy spaces, trackers and the action set (the runtime may already be gone)."""
        import xr

        try:
            for tracker in self.trackers:
                xr.destroy_hand_tracker_ext(tracker)
            for space in self.spaces.values():
                xr.destroy_space(space)
            xr.destroy_action_set(self.action_set)
        except xr.XrException:
            pass  # a lost runtime: its handles are gone with it
        self.spaces.clear()
        self.trackers = []
