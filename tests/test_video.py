from __future__ import annotations

import av
import numpy as np
import pytest

from repvision.errors import NoDecodableFramesError, NotAVideoError, UnsupportedCodecError, VideoNotFoundError
from repvision.video import VideoReader, probe

from conftest import DATA


def test_reads_real_clip_with_container_timestamps():
    with VideoReader(DATA / "calimiro_squat_19.mp4") as v:
        assert (v.info.width, v.info.height) == (960, 540)
        assert v.info.fps == pytest.approx(25.0)
        frames = list(v)
    assert len(frames) == 143
    t = np.array([f.timestamp_s for f in frames])
    assert t[0] == pytest.approx(0.0)
    assert np.allclose(np.diff(t), 1 / 25, atol=1e-3)
    assert frames[0].image.shape == (540, 960, 3) and frames[0].image.dtype == np.uint8


def test_odd_width_frames_are_contiguous():
    # Regression: PyAV pads rows of a 568-px-wide frame; MediaPipe then saw garbage and found nobody.
    with VideoReader(DATA / "repcount_test2315_squat.mp4") as v:
        frame = next(iter(v))
    assert frame.image.shape == (320, 568, 3)
    assert frame.image.flags["C_CONTIGUOUS"]


def test_rotation_metadata_is_honoured():
    # A phone-style clip: pixels stored sideways plus a display matrix; frames must come out upright.
    with VideoReader(DATA / "phone_portrait_rotated_sit_up.mp4") as v:
        assert v.info.rotation_deg == 90
        assert (v.info.width, v.info.height) == (320, 240)
        rotated = [f.image for f in v][10]
    with VideoReader(DATA / "repcount_test2021_sit_up.mp4") as v:
        upright = [f.image for f in v][10]
    assert rotated.shape == upright.shape
    assert np.abs(rotated.astype(int) - upright).mean() < 5


def test_stretches_join_into_the_whole_video():
    # three readers over [0, 2.5), [2.5, 5), [5, end) give back exactly the frames of one sequential read
    with VideoReader(DATA / "calimiro_pull_up_11.mp4") as v:
        whole = [(f.index, f.timestamp_s) for f in v]
    parts = []
    for a, b in ((0.0, 2.5), (2.5, 5.0), (5.0, None)):
        with VideoReader(DATA / "calimiro_pull_up_11.mp4", start_s=a, end_s=b) as v:
            got = [(f.index, f.timestamp_s) for f in v]
        assert got and all(a <= t < (b or np.inf) for _, t in got)
        parts += got
    assert [i for i, _ in parts] == [i for i, _ in whole]
    np.testing.assert_allclose([t for _, t in parts], [t for _, t in whole])
    # the stride counts from the stretch's first frame
    with VideoReader(DATA / "calimiro_pull_up_11.mp4", start_s=2.5, end_s=5.0, stride=2) as v:
        t = np.array([f.timestamp_s for f in v])
    assert t[0] == pytest.approx(whole[[i for i, (_, x) in enumerate(whole) if x >= 2.5][0]][1])
    assert np.allclose(np.diff(t), 2 / 29.97, atol=1e-3)


def test_max_size_downscales():
    with VideoReader(DATA / "calimiro_squat_19.mp4", max_size=480) as v:
        assert v.output_size == (480, 270)
        assert next(iter(v)).image.shape == (270, 480, 3)


def test_missing_file(tmp_path):
    with pytest.raises(VideoNotFoundError, match="no file"):
        VideoReader(tmp_path / "nope.mp4")


def test_directory_is_not_a_video(tmp_path):
    with pytest.raises(VideoNotFoundError, match="directory") as err:
        VideoReader(tmp_path)
    assert "repvision batch FOLDER" in err.value.fix   # where a folder is taken


def test_text_file_is_not_a_video(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video")
    with pytest.raises(NotAVideoError, match="cannot read as a video"):
        VideoReader(p)


def test_image_file_is_rejected_even_with_video_extension(tmp_path):
    p = tmp_path / "photo.mp4"
    c = av.open(str(p), "w", format="image2")
    s = c.add_stream("png")
    s.width, s.height, s.pix_fmt = 64, 48, "rgb24"
    for pkt in s.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")):
        c.mux(pkt)
    for pkt in s.encode():
        c.mux(pkt)
    c.close()
    with pytest.raises(NotAVideoError, match="still image"):
        VideoReader(p)
    jpg = tmp_path / "photo.jpg"
    jpg.write_bytes(p.read_bytes())
    with pytest.raises(NotAVideoError, match="image"):
        VideoReader(jpg)


def test_audio_only_file_is_rejected(tmp_path):
    p = tmp_path / "sound.mp4"
    c = av.open(str(p), "w")
    s = c.add_stream("aac", rate=44100)
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
    frame.sample_rate = 44100
    for pkt in s.encode(frame):
        c.mux(pkt)
    for pkt in s.encode():
        c.mux(pkt)
    c.close()
    with pytest.raises(NotAVideoError, match="no video stream"):
        VideoReader(p)


def test_truncated_file_reports_damage(tmp_path):
    src = (DATA / "calimiro_squat_19.mp4").read_bytes()
    p = tmp_path / "cut.mp4"
    p.write_bytes(src[: len(src) // 2])
    with VideoReader(p) as v:
        n = sum(1 for _ in v)
        assert 0 < n < 143
        assert v.decode_error is not None and "truncated" in v.decode_error


def test_header_without_decodable_frames(tmp_path):
    # The first 8 kB of a real MP4: a valid header (moov first) but no complete frame.
    p = tmp_path / "header_only.mp4"
    p.write_bytes((DATA / "calimiro_squat_19.mp4").read_bytes()[:8000])
    with pytest.raises(NoDecodableFramesError, match="corrupt or truncated"):
        with VideoReader(p) as v:
            list(v)


def test_unsupported_codec(tmp_path):
    # Replace the sample entry's fourcc 'avc1' by an unknown one: the container opens, no decoder exists.
    data = (DATA / "calimiro_squat_19.mp4").read_bytes()
    i = data.find(b"avc1", 30)
    assert i > 0
    p = tmp_path / "alien_codec.mp4"
    p.write_bytes(data[:i] + b"zzzz" + data[i + 4:])
    with pytest.raises(UnsupportedCodecError, match="Re-encode"):
        VideoReader(p)


def test_probe():
    info = probe(DATA / "repcount_test2021_sit_up.mp4")
    assert info.fps == pytest.approx(14.0) and info.n_frames == 140


def test_fit_within_and_shrink_keep_the_aspect():
    from repvision.video import fit_within, shrink

    assert fit_within(1280, 720, 640) == (640, 360)
    assert fit_within(720, 1280, 640) == (360, 640)
    assert fit_within(640, 480, 640) == (640, 480) and fit_within(1920, 1080, None) == (1920, 1080)
    with VideoReader(DATA / "calimiro_squat_19.mp4") as r:
        frame = next(iter(r)).image
    small = shrink(frame, 320)
    assert max(small.shape[:2]) == 320 and small.dtype == np.uint8
    assert abs(small.shape[1] / small.shape[0] - frame.shape[1] / frame.shape[0]) < 0.01
    assert shrink(frame, 10_000) is frame


def test_release_freed_memory_finds_malloc_trim_on_glibc(monkeypatch):
    import platform

    from repvision import video

    if platform.libc_ver()[0] == "glibc":
        assert video._malloc_trim() is not None
    video.release_freed_memory()                     # glibc: malloc_trim(0); elsewhere nothing
    monkeypatch.setattr(video, "_malloc_trim", lambda: None)
    video.release_freed_memory()


def test_prefetch_hands_freed_memory_back_while_consuming(monkeypatch):
    # The frames are freed on the consumer's thread; its loop must trim the heap every HEAP_TRIM_EVERY_S.
    from repvision import video

    calls = []
    monkeypatch.setattr(video, "HEAP_TRIM_EVERY_S", 0.0)
    monkeypatch.setattr(video, "release_freed_memory", lambda: calls.append(1))
    assert list(video.prefetch(iter(range(5)))) == list(range(5))
    assert len(calls) >= 5


def test_unreadable_files_share_one_base_class(tmp_path):
    # One `except VideoError` skips every file that cannot be read, and nothing else: too short / no person
    # are problems with what a readable video shows
    from repvision.errors import ClipTooShortError, NoPersonError, RepvisionError, VideoError

    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video")
    data = (DATA / "calimiro_squat_19.mp4").read_bytes()
    i = data.find(b"avc1", 30)
    alien = tmp_path / "alien_codec.mp4"
    alien.write_bytes(data[:i] + b"zzzz" + data[i + 4:])
    for path in (tmp_path / "nope.mp4", tmp_path, text, alien):
        with pytest.raises(VideoError):
            VideoReader(path)
    assert issubclass(NoDecodableFramesError, VideoError) and issubclass(VideoError, RepvisionError)
    assert not issubclass(ClipTooShortError, VideoError) and not issubclass(NoPersonError, VideoError)
