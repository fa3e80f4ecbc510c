"""Read the H.264 sequence parameter set of our own MPEG-TS segments, in Python.

The master playlist's CODECS (`avc1.PPCCLL`: profile_idc, constraint flags, level_idc —
RFC 6381) and RESOLUTION must be what the encoder wrote. Reading them from the SPS at the
start of each rung's first segment costs microseconds; an ffprobe per rung cost a process
start (dynamic linking of libav*) each, ≈ 0.08 CPU-s (docs/benchmarks.md, "Media
pipeline"). Only files this pipeline wrote are parsed here, never an upload; whatever does
not parse returns None and the caller falls back to ffprobe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TS_PACKET = 188
H264_STREAM_TYPE = 0x1B
# profiles whose SPS carries chroma_format_idc, bit depths and scaling lists
_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


@dataclass(frozen=True)
class Sps:
    profile_idc: int
    constraint_flags: int
    level_idc: int
    width: int
    height: int

    @property
    def codec(self) -> str:
        return f"avc1.{self.profile_idc:02x}{self.constraint_flags:02x}{self.level_idc:02x}"


class _Bits:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]  # IndexError past the end: caller gives up
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _unescape(nal: bytes) -> bytes:
    """Drop the emulation-prevention bytes (00 00 03 → 00 00)."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def parse_sps(rbsp: bytes) -> Sps:
    """`rbsp`: the SPS NAL unit after its one-byte header, emulation prevention removed."""
    bits = _Bits(rbsp)
    profile_idc, constraints, level_idc = bits.u(8), bits.u(8), bits.u(8)
    bits.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    separate_planes = 0
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = bits.ue()
        if chroma_format_idc == 3:
            separate_planes = bits.u(1)
        bits.ue()  # bit_depth_luma_minus8
        bits.ue()  # bit_depth_chroma_minus8
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format_idc != 3 else 12):
                if bits.u(1):
                    last = nxt = 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt:
                            nxt = (last + bits.se() + 256) % 256
                        last = nxt or last
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = bits.ue() + 1
    height_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    width = width_mbs * 16
    height = height_units * 16 * (2 - frame_mbs_only)
    if bits.u(1):  # frame_cropping_flag
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        array_type = 0 if separate_planes else chroma_format_idc
        crop_x = 1 if array_type in (0, 3) else 2
        crop_y = (2 - frame_mbs_only) * (2 if array_type == 1 else 1)
        width -= crop_x * (left + right)
        height -= crop_y * (top + bottom)
    return Sps(profile_idc, constraints, level_idc, width, height)


def _payloads(data: bytes):
    """(pid, payload_unit_start, payload) of every MPEG-TS packet in `data`."""
    for start in range(0, len(data) - TS_PACKET + 1, TS_PACKET):
        pkt = data[start : start + TS_PACKET]
        if pkt[0] != 0x47:
            return
        pid = ((pkt[1] & 0x1F) << 8) | pkt[2]
        afc = (pkt[3] >> 4) & 0x3
        offset = 4
        if afc & 0x2:
            offset += 1 + pkt[4]
        if afc & 0x1 and offset < TS_PACKET:
            yield pid, bool(pkt[1] & 0x40), pkt[offset:]


def _section(payload: bytes) -> bytes:
    body = payload[1 + payload[0] :]  # pointer_field
    length = ((body[1] & 0x0F) << 8) | body[2]
    return body[3 : 3 + length - 4]  # after section_length, without the CRC


def first_sps_in_ts(path: Path, limit: int = 256 * 1024) -> Sps | None:
    """The SPS of the first H.264 access unit in an MPEG-TS file, or None."""
    with path.open("rb") as fh:
        data = fh.read(limit)
    pmt_pids: set[int] = set()
    video_pid = None
    es = bytearray()
    try:
        for pid, unit_start, payload in _payloads(data):
            if pid == 0 and unit_start and not pmt_pids:
                table = _section(payload)[5:]
                for i in range(0, len(table) - 3, 4):
                    if (table[i] << 8) | table[i + 1]:  # program_number 0 is the NIT
                        pmt_pids.add(((table[i + 2] & 0x1F) << 8) | table[i + 3])
            elif pid in pmt_pids and unit_start and video_pid is None:
                section = _section(payload)
                info_len = ((section[7] & 0x0F) << 8) | section[8]
                pos = 9 + info_len
                while pos + 5 <= len(section):
                    stream_type = section[pos]
                    es_pid = ((section[pos + 1] & 0x1F) << 8) | section[pos + 2]
                    if stream_type == H264_STREAM_TYPE:
                        video_pid = es_pid
                        break
                    pos += 5 + (((section[pos + 3] & 0x0F) << 8) | section[pos + 4])
            elif pid == video_pid:
                if unit_start:
                    if es:
                        break  # the whole first PES is in: its access unit has the SPS
                    if payload[:3] != b"\x00\x00\x01":
                        return None
                    payload = payload[9 + payload[8] :]  # PES header
                elif not es:
                    continue
                es += payload
        return _sps_from_annexb(bytes(es))
    except (IndexError, ValueError):
        return None


def _sps_from_annexb(stream: bytes) -> Sps | None:
    pos = 0
    while True:
        pos = stream.find(b"\x00\x00\x01", pos)
        if pos < 0 or pos + 3 >= len(stream):
            return None
        header = stream[pos + 3]
        if header & 0x1F == 7:
            end = stream.find(b"\x00\x00\x01", pos + 4)
            nal = stream[pos + 4 : end if end >= 0 else len(stream)]
            return parse_sps(_unescape(nal))
        pos += 3
