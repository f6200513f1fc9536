"""Voice conversion with the real ffmpeg (Debian's): a missing ffmpeg fails, never skips."""

import random
import shutil
import subprocess

import pytest

from wecom_archive.lib.media_convert import MediaConvertError, needs_conversion, to_mp3


def amr(seconds, seed=1):
    """An AMR-NB file of ``seconds`` (50 frames of mode 12.2 kbit/s per second)."""
    rng = random.Random(seed)
    return b"#!AMR\n" + b"".join(b"\x3c" + rng.randbytes(31) for _ in range(50 * seconds))


def duration(path):
    answer = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        check=True,
        text=True,
    )
    return float(answer.stdout)


def test_ffmpeg_is_installed():
    assert shutil.which("ffmpeg"), "ffmpeg is missing: make setup installs Debian's ffmpeg"


def test_amr_becomes_mp3_of_the_same_length(tmp_path):
    voice = amr(3)
    assert needs_conversion(voice)
    mp3 = to_mp3(voice)
    assert mp3[:3] == b"ID3" or mp3[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xe3")
    path = tmp_path / "voice.mp3"
    path.write_bytes(mp3)
    assert duration(str(path)) == pytest.approx(3.0, abs=0.2)


def test_what_browsers_play_is_left_alone():
    assert not needs_conversion(b"\xff\xd8\xff\xe0 a jpeg")
    assert not needs_conversion(b"ID3 an mp3")
    assert not needs_conversion(b"")


def test_a_broken_file_is_a_clear_error():
    with pytest.raises(MediaConvertError, match="ffmpeg failed"):
        to_mp3(b"not audio at all")
