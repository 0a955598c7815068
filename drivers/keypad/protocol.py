"""The FF 68 frame family of Chinese 21-key caller keypads (叫号器) and rating keypads (评价器).

Sources (no code copied): /work/shared/DEVICES.md "Caller keypads … the FF 68 bus"; the
vendor sheet "21键点阵液晶呼叫器通讯协议" (帧格式: ffH 68H 数据长度 数据长度 68H 通讯地址 命令字
数据区 校验和 16H; 数据长度 = bytes from the address up to the checksum); the open-source
JackQChen/QueueSystem ``CallSystem/CallSystem/frmMain.cs`` (key codes, display and beep
frames, echo; which function bytes carry keys and which a rating). Hall's exact dialect, with
the lines of frmMain.cs it follows, is in README.md beside this file.

    FF 68 | L | L | 68 | ADDR | FUNC | DATA… | CS | 16
    L  = len(ADDR FUNC DATA…)            CS = (ADDR + FUNC + ΣDATA) & 0xFF
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

HEADER = b"\xff\x68"
MARK = 0x68
END = 0x16
MAX_LENGTH = 32  # longest L accepted; real frames are 2..8 (a display frame is 8)
BLANK = 0x0A  # a display digit position left dark


class Function(IntEnum):
    KEY = 0x01  # keypad → host: DATA ends with the key (what Hall's emulator sends; a real
    #              keypad may use any function byte but 02, 03 and 11: ``is_key_frame``);
    #              host → rating pad: DATA 0B = start rating (DEVICES.md "01 0B"), or the
    #              score just received = its acknowledgement (``score_ack``)
    DISPLAY = 0x02  # host → keypad: 3 waiting-count digits + 3 ticket digits
    BEEP = 0x03  # host → keypad: beep, no data
    SCORE = 0x11  # rating pad → host: DATA[0] = score


# what only a host sends to a keypad: heard from a keypad's address, it is our own frame
# coming back on the line, never a press
HOST_FUNCTIONS = frozenset({Function.DISPLAY, Function.BEEP})


class Key(IntEnum):
    """Key codes in the last DATA byte (DEVICES.md); digits 0–9 are 00–09."""

    EVALUATE = 0x0B  # 评价
    CALL = 0x0C  # 呼叫
    RECALL = 0x0D  # 重呼
    CANCEL = 0x0E  # 取消
    CONFIRM = 0x0F  # 确认 (after a digit: 6 give up, 0 hold, 3 call back)
    PAUSE = 0x12  # 暂停 (等候)
    TRANSFER = 0x13  # 转移


class Action(StrEnum):
    CALL_NEXT = "call_next"
    RECALL = "recall"
    SKIP = "skip"
    START = "start"
    FINISH = "finish"
    PAUSE = "pause"
    RESUME = "resume"
    TRANSFER = "transfer"
    HOLD = "hold"
    UNHOLD = "unhold"


# a bare key → its action; digits before 确认 choose among CONFIRMED (the source's 6/0/3)
KEY_ACTIONS = {Key.CALL: Action.CALL_NEXT, Key.RECALL: Action.RECALL, Key.CANCEL: Action.SKIP,
               Key.EVALUATE: Action.FINISH, Key.PAUSE: Action.PAUSE,
               Key.TRANSFER: Action.TRANSFER, Key.CONFIRM: Action.START}
CONFIRMED = {"6": Action.SKIP, "0": Action.HOLD, "3": Action.UNHOLD}
# rating pad score byte → GB/T 39734 level (5 非常满意 … 1 非常不满意); Hall's default dialect
SCORES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
START_RATING = bytes((Key.EVALUATE,))


def checksum(body: bytes) -> int:
    """CS over ADDR, FUNC and DATA: their sum, low byte (DEVICES.md; frmMain.cs SendTicket)."""
    return sum(body) & 0xFF


@dataclass(frozen=True)
class Frame:
    address: int
    function: int
    data: bytes = b""

    def encode(self) -> bytes:
        if not 0 <= self.address <= 0xFF or not 0 <= self.function <= 0xFF:
            raise ValueError(f"address and function are one byte each: {self}")
        body = bytes((self.address, self.function)) + self.data
        if len(body) > MAX_LENGTH:
            raise ValueError(f"frame body of {len(body)} bytes, at most {MAX_LENGTH}")
        return HEADER + bytes((len(body), len(body), MARK)) + body + bytes((checksum(body), END))


@dataclass(frozen=True)
class Press:
    """A key press understood: what to do and the digits typed before the key."""

    address: int
    action: Action
    digits: str = ""
    key: int = 0


def key_frame(address: int, key: int, digits: str = "", function: int = Function.KEY
              ) -> Frame:
    """What a keypad sends for `digits` then `key` (the emulator's side)."""
    if not digits.isdigit() and digits:
        raise ValueError(f"digits only before a key, not {digits!r}")
    return Frame(address, function, bytes(int(d) for d in digits) + bytes((key,)))


def is_key_frame(frame: Frame) -> bool:
    """Whether a frame from a keypad carries keys. The reference host (frmMain.cs at
    8b1593d, lines 229 and 261) tells only FUNC 11 apart, as a rating; every other function
    byte (00, 01, 05 …) is read as keys in the last DATA byte, and the older frmMain.cs
    (2325e31) never looks at the byte at all. 02 and 03 are a host's own frames."""
    return frame.function not in HOST_FUNCTIONS and frame.function != Function.SCORE


def interpret(frame: Frame, *, paused: bool = False) -> Press | None:
    """A key frame → Press, or None when it is not a key frame or its keys mean nothing.

    The pause key toggles: on a paused counter it resumes (as frmMain.cs resets a paused
    window on the next key)."""
    if not is_key_frame(frame) or not frame.data:
        return None
    *before, key = frame.data
    if any(b > 9 for b in before):
        return None
    digits = "".join(str(b) for b in before)
    if key == Key.CONFIRM and digits:
        action = CONFIRMED.get(digits)
    else:
        action = KEY_ACTIONS.get(key)  # type: ignore[call-overload]
    if action is Action.PAUSE and paused:
        action = Action.RESUME
    return None if action is None else Press(frame.address, action, digits, key)


def score_level(frame: Frame, scores: dict[int, int] | None = None) -> int | None:
    """A rating pad's FUNC 11 frame → level 1..5, or None."""
    if frame.function != Function.SCORE or not frame.data:
        return None
    return (SCORES if scores is None else scores).get(frame.data[0])


def _digits(value: str, width: int = 3) -> bytes:
    """Right-aligned decimal digits, dark positions as 0A."""
    value = value[-width:]
    return bytes([BLANK] * (width - len(value)) + [int(c) for c in value])


def display_frame(address: int, waiting: int | None, number: str | None) -> Frame:
    """FUNC 02: waiting count (000–999, capped; dark when None) then the ticket's last three
    digits (A012 → 0 1 2; dark when there is no current ticket)."""
    count = "" if waiting is None else f"{min(max(waiting, 0), 999):03d}"
    number = number or ""
    tail = number[len(number.rstrip("0123456789")):]  # the digits at the end of the number
    return Frame(address, Function.DISPLAY, _digits(count) + _digits(tail))


def beep_frame(address: int) -> Frame:
    return Frame(address, Function.BEEP)


def start_rating_frame(address: int) -> Frame:
    return Frame(address, Function.KEY, START_RATING)


def score_frame(address: int, score: int) -> Frame:
    return Frame(address, Function.SCORE, bytes((score,)))


def score_ack(frame: Frame) -> Frame:
    """How the reference host acknowledges a rating pad's score: not an echo but FUNC 01
    with the score (frmMain.cs at 8b1593d, lines 241–248: ``send[6] = 0x01``, CS − 0x10)."""
    return Frame(frame.address, Function.KEY, frame.data[:1])


def read_display(frame: Frame) -> tuple[str, str]:
    """What a keypad shows for a FUNC 02 frame: (waiting, ticket), dark digits as spaces."""
    if frame.function != Function.DISPLAY or len(frame.data) != 6:
        raise ValueError(f"not a display frame: {frame}")
    text = "".join(" " if b == BLANK else str(b) if b <= 9 else "?" for b in frame.data)
    return text[:3], text[3:]


# ---- reading a byte stream -------------------------------------------------------------

ERROR_KINDS = ("noise", "bad_length", "bad_checksum", "bad_end", "truncated")


@dataclass(frozen=True)
class FrameError:
    kind: str  # one of ERROR_KINDS
    raw: bytes
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail} [{self.raw[:40].hex(' ')}]"


class StreamParser:
    """Finds frames in a byte stream and resynchronises on anything else. Never raises.

    Kinds of error (each counted in ``errors``):
    ``noise`` bytes before a header (one per run), ``bad_length`` L ≠ L', L out of 2..32 or
    no 68 after them, ``bad_checksum``, ``bad_end`` (no 16), ``truncated`` a frame cut short
    (the next header starts inside it, or the line went quiet mid-frame: ``expire``).
    After a bad frame, reading resumes at the next FF 68, so a good frame that follows a
    damaged one is still found."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.frames = 0
        self.skipped = 0  # noise bytes
        self.errors: dict[str, int] = dict.fromkeys(ERROR_KINDS, 0)
        self.bad: list[FrameError] = []  # the errors of the last feed/expire

    @property
    def pending(self) -> int:
        return len(self._buf)

    def reset(self) -> None:
        """Forget a partial frame (the port was reopened); the counts stay."""
        self._buf.clear()

    def feed(self, data: bytes) -> list[Frame]:
        self.bad = []
        self._buf += data
        found: list[Frame] = []
        while (item := self._next()) is not None:
            if isinstance(item, Frame):
                self.frames += 1
                found.append(item)
        return found

    def expire(self) -> list[Frame]:
        """The line went quiet: the frame being read will never complete. Frames that start
        inside it are still read; returns them."""
        self.bad, found = [], []
        while self._buf:
            if self._buf[:2] != HEADER:
                self._noise(len(self._buf))
                break
            inner = self._buf.find(HEADER, 2)
            bad = self.bad
            self._fail("truncated", inner if inner > 0 else len(self._buf),
                       "the line went quiet mid-frame")
            found += self.feed(b"")
            self.bad = bad + self.bad
        return found

    def _next(self) -> Frame | FrameError | None:
        buf = self._buf
        start = buf.find(HEADER)
        if start < 0:
            keep = 1 if buf[-1:] == HEADER[:1] else 0  # may be the first half of a header
            if len(buf) > keep:
                self._noise(len(buf) - keep)
            return None
        if start:
            self._noise(start)
        if len(buf) < 5:
            return None
        length = buf[2]
        if buf[3] != length or buf[4] != MARK or not 2 <= length <= MAX_LENGTH:
            return self._fail("bad_length", self._resync(1),
                              f"L={buf[2]:02X} L'={buf[3]:02X} mark={buf[4]:02X}")
        total = length + 7
        if len(buf) < total:
            inner = buf.find(HEADER, 2)
            if inner > 0 and self._complete_at(inner):  # a whole frame follows a cut one
                return self._fail("truncated", inner, "a new frame starts inside it")
            return None
        body, cs, end = bytes(buf[5:5 + length]), buf[5 + length], buf[6 + length]
        if end == END and cs == checksum(body):
            del buf[:total]
            return Frame(body[0], body[1], body[2:])
        inner = buf.find(HEADER, 2, total)
        if inner > 0:
            return self._fail("truncated", inner, "a new frame starts inside it")
        if end != END:
            return self._fail("bad_end", total, f"ends {end:02X}, not 16")
        return self._fail("bad_checksum", total, f"CS {cs:02X}, expected {checksum(body):02X}")

    def _complete_at(self, i: int) -> bool:
        head = self._buf[i:i + 5]
        if len(head) < 5 or head[2] != head[3] or head[4] != MARK or head[2] < 2:
            return False
        frame = self._buf[i:i + head[2] + 7]
        return (len(frame) == head[2] + 7 and frame[-1] == END
                and frame[-2] == checksum(frame[5:-2]))

    def _resync(self, skip: int) -> int:
        """Bytes to drop: up to the next header after `skip`, or all but a trailing FF."""
        nxt = self._buf.find(HEADER, skip)
        if nxt >= 0:
            return nxt
        return len(self._buf) - (1 if self._buf[-1:] == HEADER[:1] else 0)

    def _fail(self, kind: str, drop: int, detail: str) -> FrameError:
        error = FrameError(kind, bytes(self._buf[:drop]), detail)
        del self._buf[:drop]
        self.errors[kind] += 1
        self.bad.append(error)
        return error

    def _noise(self, n: int) -> None:
        self.skipped += n
        self._fail("noise", n, f"{n} byte(s) outside any frame")
