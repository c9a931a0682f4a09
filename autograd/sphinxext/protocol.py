"""What a page process tells the build: named, typed messages that are data only.

The page process runs the page's code, so anything in it, the pipe to the
build included, is within the page's reach. The build therefore decodes
each message as MessagePack into exactly these records (msgspec checks
every field's type and rejects anything else), never with ``pickle``: no
bytes a page could write make the build run code.

The messages of one page, in order: `Started` before each example, `Checked`
for each doctest example (its output, compared by the build), `Filled` when a
figure or an ``{eval}`` has its result, `Failed` for a failure the page process
saw itself, and `Finished` at the end.

On the pipe, each message is its length (four bytes) and its bytes:
`write_message` sends one, a `MessageReader` reads them back.

>>> from autograd.sphinxext.protocol import EvalText, Filled, decode, encode
>>> message = Filled(index=2, result=EvalText("6.0"))
>>> decode(encode(message)) == message
True
"""

from __future__ import annotations

import os
import select
import struct
import time

import msgspec

__all__ = [
    "MESSAGE_LIMIT",
    "Checked",
    "EvalText",
    "Failed",
    "Filled",
    "Finished",
    "Frame",
    "GraphFigure",
    "Message",
    "MessageReader",
    "PlotFigure",
    "ProtocolError",
    "Result",
    "Started",
    "StepsFigure",
    "decode",
    "encode",
    "write_message",
]


class Frame(msgspec.Struct, frozen=True):
    """One step of a backward pass: its drawing (wide and, if needed, narrow) and words."""

    svg: str
    svg_narrow: str
    caption: str
    description: str


class GraphFigure(msgspec.Struct, frozen=True, tag=True):
    """A ``value-graph``: the drawing in its layout, a narrow one for phones, and its words."""

    svg: str
    svg_narrow: str
    description: str


class StepsFigure(msgspec.Struct, frozen=True, tag=True):
    """A ``backward-steps`` figure: one frame per step, and words for the whole pass."""

    frames: tuple[Frame, ...]
    description: str


class PlotFigure(msgspec.Struct, frozen=True, tag=True):
    """A ``live-plot``: the plot as SVG, light and dark, and its words."""

    svg: str
    svg_dark: str
    description: str


class EvalText(msgspec.Struct, frozen=True, tag=True):
    """An ``{eval}``: ``str()`` of its value."""

    text: str


Result = GraphFigure | StepsFigure | PlotFigure | EvalText


class Started(msgspec.Struct, frozen=True, tag=True):
    """An example starts at ``source:line`` and may use ``limit`` seconds (0: no limit)."""

    source: str
    line: int
    limit: float


class Checked(msgspec.Struct, frozen=True, tag=True):
    """A doctest example ran: what the page shows (``want``) and what it printed (``got``).

    ``raised`` tells that ``got`` is the exception the example raised, to be
    compared with the exception the page shows. The build compares them.
    """

    source: str
    line: int
    code: str
    want: str
    got: str
    raised: bool
    flags: int


class Filled(msgspec.Struct, frozen=True, tag=True):
    """The item at ``index`` of the page's plan has its ``result``."""

    index: int
    result: Result


class Failed(msgspec.Struct, frozen=True, tag=True):
    """A failure at ``source:line``."""

    source: str
    line: int
    message: str


class Finished(msgspec.Struct, frozen=True, tag=True):
    """The page ran to its end: ``examples`` run, the project ``files`` it read, the
    ``environ`` variables it read, and what else it read that no file records
    (``untracked``: it listed a folder, say)."""

    examples: int
    files: tuple[str, ...]
    untracked: tuple[str, ...] = ()
    environ: dict[str, str | None] = {}  # the variables it read, and their values (None: unset)


Message = Started | Checked | Filled | Failed | Finished


class ProtocolError(ValueError):
    """Bytes from a page process that are not one of the messages."""


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Message)


def encode(message: Message) -> bytes:
    """The bytes of ``message``, as the page process sends it."""
    return _encoder.encode(message)


def decode(data: bytes) -> Message:
    """The message in ``data``; `ProtocolError` if the bytes are anything else.

    >>> import pickle
    >>> from autograd.sphinxext.protocol import ProtocolError, decode
    >>> try:
    ...     decode(pickle.dumps(("node", 1, {})))
    ... except ProtocolError as error:
    ...     print(error)
    not a message from a page process: Object missing required field `type`
    """
    try:
        message: Message = _decoder.decode(data)
    except msgspec.DecodeError as error:
        raise ProtocolError(f"not a message from a page process: {error}") from None
    return message


# -- on the pipe -----------------------------------------------------------------

MESSAGE_LIMIT = 1 << 30
"""The largest message the build reads from a page process, in bytes."""


def write_message(fd: int, message: Message) -> None:
    """Send ``message`` down the pipe ``fd``: its length, then its bytes."""
    if isinstance(message, Checked) and not message.got.isascii():
        # An output that is not valid Unicode is shown, and then fails, escaped.
        got = message.got.encode("utf-8", "backslashreplace").decode("utf-8")
        message = msgspec.structs.replace(message, got=got)
    data = encode(message)
    data = struct.pack("!I", len(data)) + data
    while data:  # a pipe may take a long message in parts
        data = data[os.write(fd, data) :]


class MessageReader:
    """Length-prefixed messages from a pipe, decoded as `autograd.sphinxext.protocol` records."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def next(self, wait: float | None) -> Message | str | None:
        """The next message; ``"end"`` at the end of the stream; None if none came in time.

        Raises `ProtocolError` for bytes that are not a message.
        """
        limit = None if wait is None else time.monotonic() + wait
        while True:
            if len(self.buffer) >= 4:
                (size,) = struct.unpack("!I", self.buffer[:4])
                if size > MESSAGE_LIMIT:
                    raise ProtocolError(f"a message of {size} bytes")
                if len(self.buffer) >= 4 + size:
                    message = decode(self.buffer[4 : 4 + size])
                    self.buffer = self.buffer[4 + size :]
                    return message
            left = None if limit is None else max(limit - time.monotonic(), 0.0)
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return "end"
            self.buffer += chunk
