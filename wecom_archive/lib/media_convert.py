"""Make archived media playable in a browser.

WeCom archives voice messages and meeting recordings as AMR, which no browser plays. They
are converted once, when downloaded, to MP3 (every browser plays it) with Debian's ffmpeg;
the original file is kept beside the converted one.
"""

import os
import shutil
import subprocess
import tempfile

AMR_MAGIC = b"#!AMR"
TIMEOUT = 120  # seconds for one file: an hour of AMR converts in a few seconds


class MediaConvertError(Exception):
    """A file could not be converted; the original stays as it is."""


def needs_conversion(data):
    """Whether ``data`` (the file's first bytes are enough) is a format browsers do not play."""
    return data[: len(AMR_MAGIC)] == AMR_MAGIC


def ffmpeg():
    """The ffmpeg executable, or MediaConvertError saying what to install."""
    path = shutil.which("ffmpeg")
    if not path:
        raise MediaConvertError("ffmpeg is not installed (apt-get install ffmpeg)")
    return path


def to_mp3(data):
    """The MP3 of an audio file given as bytes (mono, 32 kbit/s: speech)."""
    with tempfile.TemporaryDirectory(prefix="wecom_media_") as folder:
        source, target = os.path.join(folder, "in"), os.path.join(folder, "out.mp3")
        with open(source, "wb") as handle:
            handle.write(data)
        try:
            command = [ffmpeg(), "-nostdin", "-v", "error", "-i", source, "-vn", "-ac", "1"]
            command += ["-c:a", "libmp3lame", "-b:a", "32k", "-y", target]
            run = subprocess.run(
                command,
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise MediaConvertError(f"ffmpeg took more than {TIMEOUT} s") from None
        if run.returncode or not os.path.exists(target) or not os.path.getsize(target):
            reason = run.stderr.decode("utf-8", "replace").strip().splitlines()
            raise MediaConvertError(f"ffmpeg failed: {reason[-1] if reason else run.returncode}")
        with open(target, "rb") as handle:
            return handle.read()
