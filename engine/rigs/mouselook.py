"""Mouse look for the desktop rig: relative mouse mode where the platform has it, otherwise a
confined pointer re-centred every frame (X11 refuses relative mode without XF86DGA).
"""

from __future__ import annotations

from panda3d.core import GraphicsWindow, WindowProperties


class MouseLook:
    """Turns mouse motion into pixel deltas while the pointer is captured.

    Relative mode is asked for first (the pointer can never hit the window's edge). Where the
    platform refuses it (X11 without the XF86DGA extension, i.e. most Linux desktops) the
    pointer is confined to the window instead. Either way the pointer is put back in the
    centre after every read, so the next read measures only new motion.
    """

    def __init__(self, win: GraphicsWindow) -> None:
        """Read ``win``'s pointer (device 0, the system mouse)."""
        self.win = win
        self.captured = False
        self.mode = WindowProperties.M_relative
        self._last: tuple[float, float] | None = None
        self._resolving = False

    def capture(self, on: bool) -> None:
        """Hide and hold the pointer for looking (on), or give it back for the menu (off)."""
        props = WindowProperties()
        props.set_cursor_hidden(on)
        props.set_mouse_mode(self.mode if on else WindowProperties.M_absolute)
        self.win.request_properties(props)
        self.captured = on
        # where the pointer happens to be now says nothing about how the mouse moved
        self._last = None
        self._resolving = on

    def delta(self) -> tuple[float, float]:
        """Pixels the mouse moved since the last call (right and down are positive)."""
        if not self.captured:
            return (0.0, 0.0)
        self._resolve_mode()
        pointer = self.win.get_pointer(0)
        if not pointer.get_in_window():
            self._last = None
            return (0.0, 0.0)
        x, y = pointer.get_x(), pointer.get_y()
        last = self._last
        self._last = (x, y)
        centre = (self.win.get_x_size() // 2, self.win.get_y_size() // 2)
        if (x, y) != centre and self.win.move_pointer(0, *centre):
            self._last = (float(centre[0]), float(centre[1]))
        return (x - last[0], y - last[1]) if last is not None else (0.0, 0.0)

    def _resolve_mode(self) -> None:
        # a window applies requested properties on its next frame; then we can see the outcome
        if not self._resolving or self.win.get_requested_properties().has_mouse_mode():
            return
        self._resolving = False
        if self.mode == WindowProperties.M_relative and (
            self.win.get_properties().get_mouse_mode() != WindowProperties.M_relative
        ):
            self.mode = WindowProperties.M_confined
            self.capture(True)
