"""Where a request's work runs after Slack has its acknowledgement: a bounded pool shared fairly.

Two things a plain thread pool gets wrong when the whole committee acts at once:

- **One kind of work starves the others.** Twenty `/soap candidate` cards queued first would make a
  `/soap help` wait behind all of them. Work is queued by *lane* (the subcommand, the clicked action,
  the event type), lanes take turns for the next free slot, and no lane holds more than
  `workers - reserve` slots, so there is always a slot for something else.
- **Waiting on Slack holds a slot.** A post answered `429 Retry-After: 30` would sleep on its slot,
  and twelve of them would fill the pool for half a minute. A worker gives its slot up while it waits
  for Slack (a Web API call in flight, or the wait before a retry: `waiting_on_slack`) and takes one
  back afterwards, so a slow or rate-limited Slack delays only the work that needs it. More threads
  than slots may exist (up to `max_threads`); the slots bound what runs Python and the database at once.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

#: Threads beyond the pool's slots (those waiting on Slack) end after this long without work.
SPARE_THREAD_IDLE_SECONDS = 30.0
DEFAULT_LANE = "other"

_current = threading.local()  # on a pool thread running a task: (pool, lane)


@dataclass
class _Task:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    lane: str


@dataclass
class _Lanes:
    queued: dict[str, deque[_Task]] = field(default_factory=dict)
    turn: deque[str] = field(default_factory=deque)  # lanes with queued work, in the order they get a slot
    running: dict[str, int] = field(default_factory=dict)  # slots each lane holds
    returning: dict[str, int] = field(default_factory=dict)  # its workers back from Slack, waiting for a slot


class WorkPool(Executor):
    """`workers` slots shared by lanes in turn; a lane holds at most `workers - reserve` of them."""

    def __init__(self, workers: int, *, max_threads: int = 64, name: str = "soap-work") -> None:
        self.workers = max(1, workers)
        reserve = max(1, self.workers // 4) if self.workers >= 2 else 0
        self.lane_limit = self.workers - reserve
        self._max_threads = max(self.workers, max_threads)
        self._name = name
        self._cond = threading.Condition()
        self._lanes = _Lanes()
        self._used = 0
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._shutdown = False

    # -- submitting -----------------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.submit_to(DEFAULT_LANE, fn, *args, **kwargs)

    def submit_to(self, lane: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            queue = self._lanes.queued.setdefault(lane, deque())
            if not queue:
                self._lanes.turn.append(lane)
            queue.append(_Task(future, fn, args, kwargs, lane))
            self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                for queue in self._lanes.queued.values():
                    for task in queue:
                        task.future.cancel()
                self._lanes.queued.clear()
                self._lanes.turn.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()

    # -- waiting on Slack -----------------------------------------------------------------------

    @contextmanager
    def _released(self, lane: str) -> Iterator[None]:
        with self._cond:
            self._take_slot(lane, -1)
            self._wake()
        try:
            yield
        finally:
            with self._cond:
                self._lanes.returning[lane] = self._lanes.returning.get(lane, 0) + 1
                while not self._slot_free(lane):
                    self._cond.wait()
                self._lanes.returning[lane] -= 1
                self._take_slot(lane, +1)

    # -- the workers ----------------------------------------------------------------------------

    def _slot_free(self, lane: str) -> bool:
        return self._used < self.workers and self._lanes.running.get(lane, 0) < self.lane_limit

    def _take_slot(self, lane: str, change: int) -> None:
        self._used += change
        self._lanes.running[lane] = self._lanes.running.get(lane, 0) + change
        if change < 0:
            self._cond.notify_all()

    def _next_task(self) -> _Task | None:
        """The first lane in turn that may take a slot (its own workers back from Slack go first)."""
        turn = self._lanes.turn
        for _ in range(len(turn)):
            lane = turn[0]
            turn.rotate(-1)
            if self._slot_free(lane) and not self._lanes.returning.get(lane):
                queue = self._lanes.queued[lane]
                task = queue.popleft()
                if not queue:
                    turn.remove(lane)
                    del self._lanes.queued[lane]
                return task
        return None

    def _wake(self) -> None:
        """Called holding the lock after work was queued or a slot freed: an idle worker takes it, or a
        new thread starts when none is idle."""
        if not self._lanes.turn:
            return
        if self._idle:
            self._cond.notify_all()
        elif len(self._threads) < self._max_threads and self._used < self.workers:
            thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
            self._threads.add(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                task = None
                while task is None:
                    task = self._next_task()
                    if task is not None:
                        break
                    if self._shutdown and not self._lanes.turn:
                        self._threads.discard(threading.current_thread())
                        return
                    self._idle += 1
                    timed_out = not self._cond.wait(SPARE_THREAD_IDLE_SECONDS)
                    self._idle -= 1
                    if timed_out and len(self._threads) > self.workers and not self._lanes.turn:
                        self._threads.discard(threading.current_thread())
                        return
                self._take_slot(task.lane, +1)
            self._run(task)
            with self._cond:
                self._take_slot(task.lane, -1)
                self._wake()

    def _run(self, task: _Task) -> None:
        if not task.future.set_running_or_notify_cancel():
            return
        _current.slot = (self, task.lane)
        try:
            result = task.fn(*task.args, **task.kwargs)
        except BaseException as error:
            task.future.set_exception(error)
        else:
            task.future.set_result(result)
        finally:
            _current.slot = None


def submit_in_lane(work: Executor, lane: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
    """Submit to `work` in `lane` (an executor that is not a WorkPool, a test's, has one lane)."""
    if isinstance(work, WorkPool):
        return work.submit_to(lane, fn, *args, **kwargs)
    return work.submit(fn, *args, **kwargs)


@contextmanager
def waiting_on_slack() -> Iterator[None]:
    """On a WorkPool thread: give the slot up for the duration (and take one back after). Elsewhere
    (a request thread, the clock) nothing."""
    slot = getattr(_current, "slot", None)
    if slot is None:
        yield
        return
    pool, lane = slot
    _current.slot = None  # nested waits give up nothing more
    try:
        with pool._released(lane):
            yield
    finally:
        _current.slot = slot


def sleeping_off_slot(sleep: Callable[[float], None]) -> Callable[[float], None]:
    """`sleep` (before a Web API retry) that gives the pool slot up while it sleeps."""

    def sleep_outside(seconds: float) -> None:
        with waiting_on_slack():
            sleep(seconds)

    return sleep_outside


class SlackWebClient(WebClient):
    """The Web API client of every process: a call in flight does not hold a work slot."""

    def api_call(self, *args: Any, **kwargs: Any) -> Any:
        with waiting_on_slack():
            return super().api_call(*args, **kwargs)
