"""Real X11 input for window tests: XTest key, button and motion events, and a window manager's
close request, sent through the X server exactly as a keyboard, mouse or desktop would.

Panda3D reads them from its own X connection in its event loop (the same code path a learner's
hardware takes), so nothing in Panda3D or the rig is bypassed or mocked. Needs ``libX11`` and
``libXtst`` (Debian/Ubuntu: ``libx11-6 libxtst6``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from types import TracebackType

#: X11 event type and masks used below (X.h)
CLIENT_MESSAGE = 33
NO_EVENT_MASK = 0
CURRENT_TIME = 0
REVERT_TO_NONE = 0
NO_WINDOW = 0


class XClientMessage(ctypes.Structure):
    """``XClientMessageEvent`` (Xlib.h), the one event this module sends by hand."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    """``XEvent``: Xlib reads a whole union (24 longs) whatever the event type."""

    _fields_ = [("xclient", XClientMessage), ("pad", ctypes.c_long * 24)]


class XInputError(RuntimeError):
    """The X libraries or the display are not available."""


def _library(name: str, soname: str, package: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name) or soname
    try:
        return ctypes.CDLL(path)
    except OSError:
        raise XInputError(f"{soname} is missing: apt-get install {package}") from None


class XInput:
    """One connection to the X server that sends input as if from real devices."""

    def __init__(self, display: str | None = None) -> None:
        """Connect to ``display`` ($DISPLAY when None).

        Raises:
            XInputError: libX11 or libXtst is missing, or the display cannot be opened.
        """
        self.x11 = _library("X11", "libX11.so.6", "libx11-6")
        self.xtst = _library("Xtst", "libXtst.so.6", "libxtst6")
        self._declare()
        self.dpy = self.x11.XOpenDisplay(display.encode() if display else None)
        if not self.dpy:
            raise XInputError(f"cannot open X display {display or '$DISPLAY'}")

    def _declare(self) -> None:
        x11, xtst, dpy = self.x11, self.xtst, ctypes.c_void_p
        x11.XOpenDisplay.restype = dpy
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XCloseDisplay.argtypes = [dpy]
        x11.XSync.argtypes = [dpy, ctypes.c_int]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        x11.XKeysymToKeycode.argtypes = [dpy, ctypes.c_ulong]
        x11.XInternAtom.restype = ctypes.c_ulong
        x11.XInternAtom.argtypes = [dpy, ctypes.c_char_p, ctypes.c_int]
        x11.XSendEvent.argtypes = [dpy, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                   ctypes.POINTER(XEvent)]  # fmt: skip
        x11.XSetInputFocus.argtypes = [dpy, ctypes.c_ulong, ctypes.c_int, ctypes.c_ulong]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [dpy]
        window_list = ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong))
        x11.XQueryTree.argtypes = [dpy, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                   ctypes.POINTER(ctypes.c_ulong), window_list,
                                   ctypes.POINTER(ctypes.c_uint)]  # fmt: skip
        x11.XFetchName.argtypes = [dpy, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
        x11.XFree.argtypes = [ctypes.c_void_p]
        xtst.XTestQueryExtension.argtypes = [dpy] + [ctypes.POINTER(ctypes.c_int)] * 4
        xtst.XTestFakeKeyEvent.argtypes = [dpy, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeButtonEvent.argtypes = [dpy, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeMotionEvent.argtypes = [dpy, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                              ctypes.c_ulong]  # fmt: skip

    def has_xtest(self) -> bool:
        """Whether the server offers the XTEST extension (Xvfb does by default)."""
        ints = [ctypes.c_int() for _ in range(4)]
        return bool(self.xtst.XTestQueryExtension(self.dpy, *(ctypes.byref(i) for i in ints)))

    def close(self) -> None:
        """Disconnect."""
        if self.dpy:
            self.x11.XCloseDisplay(self.dpy)
            self.dpy = None

    def __enter__(self) -> XInput:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _sync(self) -> None:
        # round trip: the server has handled (and delivered) everything sent so far
        self.x11.XSync(self.dpy, 0)

    # --- keyboard ------------------------------------------------------------------------

    def _keycode(self, keysym: str) -> int:
        code = int(self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(keysym.encode())))
        if code == 0:
            raise ValueError(f"no key for keysym '{keysym}' on this display")
        return code

    def key(self, keysym: str, down: bool) -> None:
        """Press or release a key by X keysym name ('w', 'Escape', 'Return', 'period')."""
        self.xtst.XTestFakeKeyEvent(self.dpy, self._keycode(keysym), int(down), CURRENT_TIME)
        self._sync()

    def tap(self, keysym: str) -> None:
        """Press and release a key."""
        self.key(keysym, True)
        self.key(keysym, False)

    # --- mouse ---------------------------------------------------------------------------

    def move_to(self, x: int, y: int) -> None:
        """Move the pointer to screen pixel (x, y) (absolute, so no pointer acceleration)."""
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, int(x), int(y), CURRENT_TIME)
        self._sync()

    def button(self, number: int, down: bool) -> None:
        """Press or release mouse button ``number`` (1 left, 2 middle, 3 right)."""
        self.xtst.XTestFakeButtonEvent(self.dpy, number, int(down), CURRENT_TIME)
        self._sync()

    # --- the desktop -----------------------------------------------------------------------

    def request_close(self, window: int) -> None:
        """Ask a window to close, as a window manager does when its close box is clicked."""
        event = XEvent()
        msg = event.xclient
        msg.type = CLIENT_MESSAGE
        msg.window = window
        msg.message_type = self.x11.XInternAtom(self.dpy, b"WM_PROTOCOLS", 0)
        msg.format = 32
        msg.data[0] = self.x11.XInternAtom(self.dpy, b"WM_DELETE_WINDOW", 0)
        msg.data[1] = CURRENT_TIME
        self.x11.XSendEvent(self.dpy, window, 0, NO_EVENT_MASK, ctypes.byref(event))
        self._sync()

    def find_window(self, title: str) -> int | None:
        """A top-level window by its exact title (there is no window manager to reparent it)."""
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        x11 = self.x11
        root_window = x11.XDefaultRootWindow(self.dpy)
        if not x11.XQueryTree(self.dpy, root_window, ctypes.byref(root), ctypes.byref(parent),
                              ctypes.byref(children), ctypes.byref(count)):  # fmt: skip
            return None
        try:
            for i in range(count.value):
                name = ctypes.c_char_p()
                if x11.XFetchName(self.dpy, children[i], ctypes.byref(name)) and name.value:
                    found = name.value.decode(errors="replace")
                    x11.XFree(name)
                    if found == title:
                        return int(children[i])
            return None
        finally:
            if children:
                x11.XFree(children)

    def unfocus(self) -> None:
        """Take the keyboard focus away from every window (as switching to another app does)."""
        self.x11.XSetInputFocus(self.dpy, NO_WINDOW, REVERT_TO_NONE, CURRENT_TIME)
        self._sync()

    def focus(self, window: int) -> None:
        """Give the keyboard focus to ``window``."""
        self.x11.XSetInputFocus(self.dpy, window, REVERT_TO_NONE, CURRENT_TIME)
        self._sync()
