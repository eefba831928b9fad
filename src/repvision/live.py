"""Live mode: a camera (or stream, or a video file played at its real frame rate) analysed as it plays.

A capture thread keeps only the newest frame (frames are dropped, never queued, so the overlay never lags);
the main loop estimates the pose, draws the overlay and shows it in a window (OpenCV HighGUI) or, headless,
prints events as JSON lines; an analysis thread runs the causal repetition counter and, every second, the
exercise label over the last few seconds, so their work never delays a frame. At the end it writes the same
JSON report as ``analyze``.
"""

from __future__ import annotations

import bisect
import contextlib
import queue
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from repvision.classify import WINDOW_S
from repvision.errors import CameraNotFoundError, OptionalDependencyError, RepvisionError
from repvision.skeleton import BLAZEPOSE_33
from repvision.types import PoseSequence, VideoInfo
from repvision.video import fit_within, shrink


@dataclass
class _Grabbed:
    image: np.ndarray
    timestamp_s: float  # media time (file) or seconds since start (camera)
    captured_at: float  # time.perf_counter() when the frame became available
    index: int


class FrameSource:
    """Frames from a camera index, a stream URL, or a video file paced at its own frame rate.

    A background thread reads continuously and keeps only the newest frame; :meth:`latest` hands it out once.
    ``dropped`` counts frames replaced before anyone took them.

    Raises
    ------
    CameraNotFoundError
        The camera or stream cannot be opened.
    VideoNotFoundError, NotAVideoError, ...
        For a file source, as :class:`repvision.video.VideoReader`.
    """

    def __init__(self, source: str | int, *, realtime: bool = True, max_size: int | None = None) -> None:
        self.source = source
        self.realtime = realtime
        self.dropped = 0
        self.frames_read = 0
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._latest: _Grabbed | None = None
        self.error: BaseException | None = None
        src = str(source)
        self.is_file = not (src.isdigit() or "://" in src)
        if self.is_file:
            from repvision.video import VideoReader

            self._reader = VideoReader(src, max_size=max_size)
            self.info = self._reader.info
            self.size = self._reader.output_size
        else:
            import cv2

            # OpenCV logs its own failed attempts ("can't open camera by index") before our clear error
            level = cv2.utils.logging.getLogLevel()
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
            try:
                cap = cv2.VideoCapture(int(src) if src.isdigit() else src)
            finally:
                cv2.utils.logging.setLogLevel(level)
            if not cap.isOpened():
                cap.release()
                what = f"camera {src}" if src.isdigit() else f"the stream {src}"
                raise CameraNotFoundError(
                    f"{what} to be available", "nothing could be opened",
                    "Connect a camera (or check its index with --source 1, 2, ...), or pass a video file "
                    "with --source clip.mp4 to try live mode without a camera.",
                )
            self._cap = cap
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
            self.info = VideoInfo(src, w, h, fps, 0, 0.0, "camera", "camera")
            self.size = fit_within(w, h, max_size)   # frames are shrunk to this in the capture thread
            self._max_size = max_size
        self._thread = threading.Thread(target=self._run, name="repvision-capture", daemon=True)

    def start(self) -> "FrameSource":
        self._thread.start()
        return self

    def _publish(self, g: _Grabbed) -> None:
        with self._lock:
            if self._latest is not None:
                self.dropped += 1
            self._latest = g
            self.frames_read += 1
            self._lock.notify_all()

    def _run(self) -> None:
        try:
            if self.is_file:
                t0 = None
                for f in self._reader:
                    if self._stop.is_set():
                        break
                    if self.realtime:
                        now = time.perf_counter()
                        if t0 is None:
                            t0 = now - f.timestamp_s
                        delay = t0 + f.timestamp_s - now
                        if delay > 0:
                            time.sleep(delay)
                    self._publish(_Grabbed(f.image, f.timestamp_s, time.perf_counter(), f.index))
                    if not self.realtime:
                        # as fast as the consumer: wait until it took the frame (no drops)
                        with self._lock:
                            while self._latest is not None and not self._stop.is_set():
                                self._lock.wait(0.05)
                self._reader.close()
            else:
                import cv2

                t0 = time.perf_counter()
                i = 0
                while not self._stop.is_set():
                    ok, bgr = self._cap.read()
                    if not ok:
                        break
                    rgb = shrink(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self._max_size)
                    now = time.perf_counter()
                    self._publish(_Grabbed(np.ascontiguousarray(rgb), now - t0, now, i))
                    i += 1
                self._cap.release()
        except BaseException as exc:  # surfaced to the consumer
            self.error = exc
        finally:
            self.finished.set()
            with self._lock:
                self._lock.notify_all()

    def latest(self, timeout: float = 1.0) -> _Grabbed | None:
        """The newest frame not yet handed out, waiting up to ``timeout`` s; None at the end of the source."""
        with self._lock:
            end = time.perf_counter() + timeout
            while self._latest is None and not self.finished.is_set():
                left = end - time.perf_counter()
                if left <= 0:
                    return None
                self._lock.wait(left)
            g, self._latest = self._latest, None
            self._lock.notify_all()
            if g is None and self.error is not None:
                raise self.error
            return g

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


#: Title of the live window (its keys: q or Esc quit, r reset the counter, p pause/resume).
WINDOW_TITLE = "repvision live (q quit, r reset, p pause)"


@dataclass
class LiveResult:
    """What a live session produced: the final analysis (or the error that prevented it), latency figures
    (milliseconds from frame capture to finished overlay), frame counts, the repetitions counted live
    (``reps_live``; ``live_parts``: ``[(exercise or None, repetitions), ...]`` exercise by exercise), and
    ``people``: ``[(time_s, number of people), ...]`` for the frames searched for several people."""

    analysis: Any
    error: RepvisionError | None
    latencies_ms: list[float] = field(default_factory=list)
    frames_processed: int = 0
    frames_dropped: int = 0
    reps_live: int = 0
    people: list[tuple[float, int]] = field(default_factory=list)
    live_parts: list[tuple[str | None, int]] = field(default_factory=list)

    def latency_p95_ms(self) -> float | None:
        return float(np.percentile(self.latencies_ms, 95)) if self.latencies_ms else None


class _Voice:
    """Spoken cues through pyttsx3 (offline; espeak-ng on Linux), in a worker thread so speech never blocks."""

    def __init__(self) -> None:
        try:
            import pyttsx3
        except ImportError:
            raise OptionalDependencyError(
                "the pyttsx3 package for --voice", "it is not installed",
                "Install it with: pip install 'repvision[voice]' (and espeak-ng on Linux).",
            ) from None
        self._q: deque[str] = deque(maxlen=3)
        self._engine = pyttsx3.init()
        self._event = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def say(self, text: str) -> None:
        self._q.append(text)
        self._event.set()

    def _run(self) -> None:
        while True:
            self._event.wait()
            self._event.clear()
            while self._q:
                self._engine.say(self._q.popleft())
                self._engine.runAndWait()


class _LiveAnalysis:
    """The live analysis on its own thread: the causal repetition counter and, every second, the exercise label
    over the last 4 s.

    The frame loop hands each counted frame to :meth:`add` and goes on to the next frame at once, so a counter
    re-analysis (tens of ms on a minute of history) never holds up the capture -> overlay path. Frames are
    analysed in order; events (``rep``, ``exercise``, ``reset``) wait in :meth:`events` for the frame loop to
    emit them. ``n_live``, ``label`` and :attr:`counter_text` are read by the overlay (they may trail the newest
    frame slightly).

    A session of several exercises one after another is counted exercise by exercise (``parts``: ``[label,
    repetitions]`` in order, the label None until the first exercise is named). While the current part has no
    repetition, a new live label renames it (back to the exercise before it: it joins that one again). Once it
    has some, another exercise answered :data:`LIVE_PART_CONFIRM` times in a row starts the next part: a new
    counter takes over, started on the frames of the last :data:`LIVE_PART_LOOKBACK_S` seconds; those of its
    repetitions that end before the last one already reported are not counted again. An "unknown" stretch (a
    rest) between sets of one exercise, or a passing wrong answer, continues the current part.
    """

    _STOP = object()    # inbox markers: end of the stream, counter reset
    _RESET = object()

    def __init__(self, classifier, image_size: tuple[int, int], speaker=None) -> None:
        from repvision.reps import StreamingRepCounter

        # a part's counter is told its exercise once the live label names it: the repetitions it reports then
        # carry the exercise's joint, range of motion and tempo (counting itself is class-agnostic)
        self._new_counter = lambda exercise=None: StreamingRepCounter(exercise, image_size=image_size)
        self.counter = self._new_counter()
        self.classifier = classifier
        self.image_size = image_size
        self.speaker = speaker
        self.kps: list[np.ndarray] = []
        self.times: list[float] = []
        self.n_live = 0
        self.label = "..."
        self.parts: list[list] = [[None, 0]]
        self._last_end_s = -np.inf      # end of the last repetition reported
        self._skip_until_s = -np.inf    # a new part's counter does not report again what ended before this
        self._streak_label, self._streak = "", 0   # the latest classifier answer and how many times in a row
        self._recent: deque[str] = deque(maxlen=3)
        self._last_cls = -np.inf
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="repvision-live-analysis", daemon=True)
        self._thread.start()

    def add(self, keypoints: np.ndarray | None, timestamp_s: float) -> None:
        """Queue one frame: ``(33, 4)`` landmarks (normalised image coords) or None (nobody found); seconds."""
        self._inbox.put((keypoints, timestamp_s))

    def add_sequences(self, sequences: Iterable[PoseSequence], start_s: float = 0.0) -> float:
        """Queue the frames of BlazePose sequences ``(T, 33, 4)`` played one after another, as a session without
        a camera (tests and ``benchmarks/live_parts.py``): each starts one frame (``1 / fps``) after the previous
        one's last frame, the first at ``start_s`` seconds. Returns the time just after the last frame."""
        t0 = float(start_s)
        for seq in sequences:
            ts = seq.timestamps - seq.timestamps[0]
            present = seq.present
            for k in range(len(seq)):
                self.add(seq.keypoints[k] if present[k] else None, float(t0 + ts[k]))
            t0 += float(ts[-1]) + 1.0 / (seq.fps or 30.0)
        return t0

    def reset(self, timestamp_s: float) -> None:
        """Queue a counter reset (applied after the frames queued before it)."""
        self._inbox.put((self._RESET, timestamp_s))

    def events(self) -> list[dict]:
        """Events produced since the last call (in order). Re-raises an error of the analysis thread."""
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                break
        if self._error is not None:
            raise self._error
        return out

    def close(self) -> list[dict]:
        """Finish the queued frames, stop the thread; the remaining events (a second call: none)."""
        if self._thread.is_alive():
            self._inbox.put(self._STOP)
            self._thread.join()
        return self.events()

    def _run(self) -> None:
        try:
            while True:
                item = self._inbox.get()
                if item is self._STOP:
                    return
                if item[0] is self._RESET:
                    self.n_live = 0
                    self.kps.clear()
                    self.times.clear()
                    self.parts = [[self.label if self.label not in ("...", "unknown") else None, 0]]
                    self.counter = self._new_counter(self.parts[0][0])
                    self._last_end_s = self._skip_until_s = -np.inf
                    self._events.put({"event": "reset", "at_s": round(item[1], 3)})
                    continue
                self._frame(*item)
        except BaseException as exc:  # handed to the frame loop by events()
            self._error = exc

    def _frame(self, k: np.ndarray | None, t: float) -> None:
        self.kps.append(k if k is not None else _NAN33)
        self.times.append(t)
        for rep in self.counter.update(k, t):
            self._report(rep, t)
        # every second, once the history spans one classifier window: a shorter one (e.g. the first frames
        # after the pose model's start-up drops) was answered with confident wrong labels
        if t - self._last_cls >= 1.0 and len(self.kps) >= 10 and t - self.times[0] >= LIVE_MIN_HISTORY_S:
            self._last_cls = t
            i0 = bisect.bisect_left(self.times, t - 4.0)  # the last 4 s, not the whole history
            seq = PoseSequence(np.stack(self.kps[i0:]), np.asarray(self.times[i0:]), BLAZEPOSE_33, "image", None,
                               self.image_size, "live")
            if seq.present.sum() >= 5:
                pred = self.classifier.predict_sequence(seq, top_k=3)
                self._recent.append(pred.label)
                self._streak = self._streak + 1 if pred.label == self._streak_label else 1
                self._streak_label = pred.label
                best = majority_label(self._recent)
                if best != self.label:
                    self.label = best
                    self._events.put({"event": "exercise", "label": best, "confidence": round(pred.confidence, 3),
                                      "at_s": round(t, 3)})
                    if self.speaker and best != "unknown":
                        self.speaker.say(best.replace("_", " "))
                    if best != "unknown":
                        self._exercise_is(best, t, confirmed=False)
                if pred.label != "unknown" and self._streak >= LIVE_PART_CONFIRM:
                    self._exercise_is(pred.label, t, confirmed=True)

    @property
    def counter_text(self) -> str:
        """The overlay's counter: ``"reps: 5"``; in a session of several exercises the current exercise's
        repetitions and the session's, ``"reps: 2  (all: 7)"``."""
        if len(self.parts) > 1:
            return f"reps: {self.parts[-1][1]}  (all: {self.n_live})"
        return f"reps: {self.n_live}"

    def _report(self, rep, at_s: float) -> None:
        """Count one repetition reported by the counter (at ``at_s`` seconds) and queue its event."""
        if rep.end_s <= self._skip_until_s:
            return
        self.n_live += 1
        self.parts[-1][1] += 1
        self._last_end_s = max(self._last_end_s, rep.end_s)
        self._events.put({"event": "rep", "count": self.n_live, "start_s": round(rep.start_s, 3),
                          "end_s": round(rep.end_s, 3), "reported_at_s": round(at_s, 3),
                          "turn_s": round(rep.turn_s, 3), "joint": rep.joint,
                          "range_of_motion_deg": _rounded(rep.range_of_motion_deg, 1),
                          "concentric_s": _rounded(rep.concentric_s, 3), "eccentric_s": _rounded(rep.eccentric_s, 3),
                          "exercise": self.parts[-1][0], "exercise_count": self.parts[-1][1]})
        if self.speaker:
            self.speaker.say(str(self.parts[-1][1]))

    def _exercise_is(self, label: str, t: float, confirmed: bool) -> None:
        """The live label now names exercise ``label``: name (or rename) the current part while no repetition
        has been counted in it; once it has some, start the next part -- with a new counter fed the frames of the
        last :data:`LIVE_PART_LOOKBACK_S` seconds -- only when ``confirmed`` (:data:`LIVE_PART_CONFIRM`
        answers in a row)."""
        current, n = self.parts[-1]
        if label == current:
            return
        if current is None or n == 0:
            if len(self.parts) > 1 and self.parts[-2][0] == label:
                self.parts.pop()   # back to the exercise before: its count goes on (with the newer counter)
            else:
                self.parts[-1][0] = label
            self.counter.exercise = label
            return
        if not confirmed:
            return
        self.parts.append([label, 0])
        self.counter = self._new_counter(label)
        self._skip_until_s = self._last_end_s
        i0 = bisect.bisect_left(self.times, t - LIVE_PART_LOOKBACK_S)
        for kk, tt in zip(self.kps[i0:], self.times[i0:]):
            for rep in self.counter.update(None if np.isnan(kk).all() else kk, tt):
                self._report(rep, t)


_NAN33 = np.full((33, 4), np.nan, np.float32)


def _rounded(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


#: Live mode classifies the exercise once this much video (seconds) has been seen: one window of the classifier
#: (:data:`repvision.classify.WINDOW_S`). Classified from the first 10 frames (0.36 s of the committed squat clip
#: when the first frames were dropped at start-up), the squat was called a bench press with 85% and the label
#: stayed for 2 s (regression test ``tests/test_live.py::test_live_label_waits_for_one_classifier_window``).
LIVE_MIN_HISTORY_S: float = WINDOW_S


#: A session's next exercise starts (a new counter, :class:`_LiveAnalysis`) once the classifier has answered it this
#: many times in a row (one answer a second, each on the last 4 s). With a new counter at every answer naming
#: another exercise, 11 of the 76 one-exercise RepCount-A videos were split by passing wrong labels and their live
#: count got worse (live MAE 0.277 -> 0.306); with 3 in a row, 5 are split and the live MAE stays 0.277
#: (``benchmarks/live_parts.py``, ``benchmarks/results/live_parts*.json``).
LIVE_PART_CONFIRM: int = 3

#: ... and its counter starts on the frames of this many seconds before that third answer: the exercise has been
#: under way for about 3 answers plus the 4 s window of the first of them, minus the time the classifier needs to
#: see it. A choice from that reasoning, checked on the committed clips' poses played as sessions of several
#: exercises (``benchmarks/live_parts.py``), not fitted.
LIVE_PART_LOOKBACK_S: float = 6.0


def majority_label(recent: Iterable[str]) -> str:
    """The most frequent of the recent live labels (oldest first); a tie goes to the most recent of the tied
    labels, so a new answer that has caught up with an old one takes over."""
    seq = list(recent)
    counts = Counter(seq)
    top = max(counts.values())
    return next(lab for lab in reversed(seq) if counts[lab] == top)

#: Live mode searches one frame this often (seconds) for several people in view.
PEOPLE_CHECK_S = 2.0


def run_live(source: str | int = 0, *, pose_model: str = "lite", window: bool = True, voice: bool = False,
             countdown_s: float = 3.0, realtime: bool = True, max_size: int | None = 640,
             emit: Callable[[dict], None] | None = None, max_seconds: float | None = None,
             people_check_s: float | None = PEOPLE_CHECK_S, follow_exerciser: bool = True,
             classifier: str | Path | None = None, form_rules: str | Path | None = None) -> LiveResult:
    """Run live mode until the source ends, the user quits (``q``/Esc), or ``max_seconds`` pass.

    Keys (window mode): ``r`` reset the counter, ``p`` pause/resume, ``q``/Esc quit.

    Parameters
    ----------
    source:
        Camera index, stream URL, or video file (played at its real frame rate unless ``realtime=False``).
    window:
        Show an OpenCV window; False for headless use (events go to ``emit``).
    countdown_s:
        Seconds of countdown before repetitions are counted (time to get into position).
    max_size:
        Downscale frames so the long side is at most this many pixels before pose estimation.
    emit:
        Called with each event dict: ``start``, ``exercise``, ``rep``, ``people`` (two or more people came
        into view; frames are searched by :class:`repvision.pose.PeopleWatch`), ``reset``, ``end`` (the final
        analysis in brief: live and final counts, ``live_parts`` -- the live count of each exercise of the
        session, in order --, exercise, sets, form verdict, ``parts`` -- each exercise of a
        workout with its count -- and ``workout`` (:meth:`repvision.types.WorkoutSummary.to_dict`, None for one
        exercise), frames, latency). The final analysis lists a warning when several people
        were in view much of the time.
    people_check_s:
        Interval (seconds of video) between the frames searched for several people; None: no search. A frame
        due while a search runs is skipped (the next one is tried), except for a file with ``realtime=False``,
        where it waits, so the result does not depend on the machine's speed.
    follow_exerciser:
        Once a search finds several people, look for up to that many (at most 4) in every frame and follow the
        one exercising (:class:`repvision.tracking.LiveFollower`; a ``following`` event is emitted); each frame
        then takes about twice as long. False: follow whoever MediaPipe's one-person tracking follows.
    classifier:
        Path of an exercise classifier ``.npz`` (e.g. trained on your own videos with ``repvision train``);
        None: the shipped model. Used live and for the final analysis.
    form_rules:
        A folder of your own rule files (``AnalyzeConfig.form_rules``) for the final analysis.

    Raises
    ------
    CameraNotFoundError, OptionalDependencyError, video errors
    ManifestError, ConfigError
        ``classifier`` or a rule file in ``form_rules`` is missing or malformed (before the source is opened).
    """
    from repvision.classify import load_classifier
    from repvision.config import AnalyzeConfig
    from repvision.pipeline import check_files
    from repvision.pose import PeopleWatch, PoseEstimator, several_people
    from repvision.tracking import LiveFollower
    from repvision.report import draw_overlay

    emit = emit or (lambda e: None)
    final_cfg = AnalyzeConfig(classifier=classifier, form_rules=form_rules)
    check_files(final_cfg)   # before the source opens
    clf = load_classifier(classifier)
    if window:
        import cv2

        # The window opens before the capture thread and the pose graph start (see the import order note in
        # repvision.video for why OpenCV must be loaded before PyAV).
        cv2.namedWindow(WINDOW_TITLE)
        cv2.imshow(WINDOW_TITLE, np.zeros((48, 64, 3), np.uint8))
        cv2.waitKey(1)
    src = FrameSource(source, realtime=realtime, max_size=max_size)
    speaker = _Voice() if voice else None
    w, h = src.size
    latencies: list[float] = []
    paused = False
    start_t = None
    emit({"event": "start", "source": str(source), "width": w, "height": h, "fps": src.info.fps,
          "countdown_s": countdown_s})
    wall0 = time.perf_counter()
    src.start()
    try:
        with contextlib.ExitStack() as stack:
            est = stack.enter_context(PoseEstimator(pose_model))
            follower = None
            live = _LiveAnalysis(clf, (w, h), speaker)
            stack.callback(live.close)  # on an error: the analysis thread stops too
            # several people: one frame every people_check_s seconds, searched on a worker thread; a frame that
            # comes while a search is running is not searched, so the check never holds up the frames -- except
            # for a file played as fast as it is analysed (realtime=False: no frame dropped), where a due frame
            # waits for the previous search, so the searches (and whom live mode follows) do not depend on timing
            watch = None
            if people_check_s:
                watch = stack.enter_context(PeopleWatch(pose_model, people_check_s,
                                                        wait=src.is_file and not realtime))
            while True:
                if max_seconds is not None and time.perf_counter() - wall0 > max_seconds:
                    break
                g = src.latest(timeout=0.5)
                if g is None:
                    if src.finished.is_set():
                        break
                    continue
                if paused:
                    if window:
                        key = cv2.waitKey(30) & 0xFF
                        if key == ord("p"):
                            paused = False
                        elif key in (ord("q"), 27):
                            break
                    continue
                if follower is None:
                    fp = est.process(g.image, g.timestamp_s)
                    k = fp.landmarks if fp.found else None
                else:
                    k = follower.update([p.landmarks for p in est.process_all(g.image, g.timestamp_s)],
                                        g.timestamp_s)
                if start_t is None:
                    start_t = g.timestamp_s
                elapsed = g.timestamp_s - start_t
                counting = elapsed >= countdown_s
                # Overlay with the analysis thread's newest counter and label; the latency is capture -> overlay
                # ready. The counter and classifier run on that thread and never delay a frame.
                title = f"{live.label.replace('_', ' ')}" if counting else f"get ready: {countdown_s - elapsed:.0f}"
                img = draw_overlay(g.image, k, title, live.counter_text)
                latencies.append((time.perf_counter() - g.captured_at) * 1000.0)
                if window:
                    cv2.imshow(WINDOW_TITLE, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
                if watch is not None:
                    for at, n_people in watch.offer(g.image, g.timestamp_s):
                        before = watch.people[-2][1] if len(watch.people) >= 2 else 0
                        if n_people >= 2 and before < 2:   # two or more people came into view
                            emit({"event": "people", "count": n_people, "at_s": at})
                        if n_people >= 2 and follow_exerciser and follower is None:
                            # from now on: every person in each frame, and the one exercising followed
                            # (closing is idempotent: the stack closes the one-person estimator again at the end)
                            est.close()
                            est = stack.enter_context(PoseEstimator(pose_model, num_poses=min(n_people, 4)))
                            follower = LiveFollower()
                            emit({"event": "following", "people": n_people, "at_s": round(g.timestamp_s, 3)})
                if counting:
                    live.add(k, g.timestamp_s)
                for ev in live.events():
                    emit(ev)
                if window:
                    key = cv2.waitKey(1) & 0xFF
                    if key in (ord("q"), 27):
                        break
                    if key == ord("r"):
                        live.reset(g.timestamp_s)
                    if key == ord("p"):
                        paused = True
            if watch is not None:
                watch.finish()   # the last search, if it was still running
            for ev in live.close():
                emit(ev)
    finally:
        src.stop()
        if window:
            import cv2

            cv2.destroyAllWindows()
    kps, times, n_live = live.kps, live.times, live.n_live
    people = [] if watch is None else watch.people
    result = LiveResult(None, None, latencies, len(latencies), src.dropped, n_live, people,
                        [(lab, n) for lab, n in live.parts])
    if kps:
        from repvision.pipeline import analyze_poses

        seq = PoseSequence(np.stack(kps), np.array(times), BLAZEPOSE_33, "image", None, (w, h), str(source))
        info = VideoInfo(str(source), w, h, src.info.fps, len(kps), seq.duration_s, src.info.codec,
                         src.info.container, src.info.rotation_deg)
        crowd_warning = several_people(people, followed=None if follower is None else follower.summary())
        try:
            result.analysis = analyze_poses(seq, info, final_cfg,
                                            warnings=[crowd_warning] if crowd_warning else None)
        except RepvisionError as exc:
            result.error = exc
    emit({"event": "end", "reps_live": n_live,
          "live_parts": [{"label": lab, "reps": n} for lab, n in live.parts],
          "reps_final": None if result.analysis is None else result.analysis.repetitions.count,
          "exercise": None if result.analysis is None else result.analysis.exercise.label,
          "sets": None if result.analysis is None else len(result.analysis.sets),
          "parts": None if result.analysis is None else [
              {"label": pt.label, "start_s": round(pt.segment.start_s, 3), "end_s": round(pt.segment.end_s, 3),
               "reps": pt.repetitions.count} for pt in result.analysis.parts],
          "workout": None if result.analysis is None or result.analysis.workout is None
          else result.analysis.workout.to_dict(),
          "form_verdict": None if result.analysis is None or result.analysis.form is None
          else result.analysis.form.verdict,
          "frames_processed": result.frames_processed, "frames_dropped": result.frames_dropped,
          "latency_ms_p50": None if not latencies else round(float(np.percentile(latencies, 50)), 1),
          "latency_ms_p95": None if not latencies else round(float(np.percentile(latencies, 95)), 1),
          "error": None if result.error is None else str(result.error)})
    return result
