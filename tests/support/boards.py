"""A local "board farm": many Ashby job-board APIs on 127.0.0.1, for crawl tests and benchmarks.

A crawler has to cope with what real boards do between two visits: most stay the same, some
edit a posting, some drop postings (which may come back later), and a few misbehave (500s,
429 with Retry-After, answers slower than any sane timeout, moved URLs, unknown slugs). The
farm serves real Ashby responses from `../shared/data/postings/ashby/` and plays those
behaviours deterministically (seeded), recording what it did and every request it got, so a
test can assert that the crawler saw every change, kept its rate limit and sent conditional
requests.

    with BoardFarm(n_boards=200, seed=0) as farm:
        crawl(farm.board_urls())
        farm.next_round()            # farm.changed / farm.dropped / farm.returned say what moved
        crawl(farm.board_urls())
        assert farm.max_in_window(1.0) <= 10

The server is written here rather than on `httpserver.serve`: that one joins every handler
thread on close, so a slow board or an idle keep-alive client would hang `stop()`.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "postings" / "ashby"
API_PREFIX = "/posting-api/job-board/"
# Where redirected boards moved to; the farm serves every board under it too.
MOVED_PREFIX = "/moved" + API_PREFIX
QUERY = "includeCompensation=true"
# Synthetic clock for Last-Modified: rounds an hour apart, so second-resolution HTTP dates
# tell rounds apart however fast a test advances them.
ROUND_ZERO = datetime(2025, 10, 1, tzinfo=UTC)
ROUND_STEP = timedelta(hours=1)
# Request headers worth keeping in the log (conditional requests, compression, identity).
LOGGED_HEADERS = ("if-none-match", "if-modified-since", "accept-encoding", "user-agent")


@dataclass
class FarmRequest:
    """One request as the farm saw it; `ended` stays None while it is in flight.

    The status is the one decided on arrival: a slow answer abandoned by stop() still says
    200, though the client saw its connection closed."""

    started: float  # time.monotonic() when the request line had been read
    round: int
    method: str
    path: str
    board: str | None  # the unquoted slug asked for (known or not); None off the API paths
    status: int
    headers: dict[str, str]  # the client's LOGGED_HEADERS it sent, lower-case names
    ended: float | None = None


@dataclass(frozen=True)
class RoundChanges:
    """What one round did; the three maps are disjoint (a board moves one way per round)."""

    changed: dict[str, list[str]] = field(default_factory=dict)  # board -> edited job ids
    dropped: dict[str, list[str]] = field(default_factory=dict)  # board -> removed job ids
    returned: dict[str, list[str]] = field(default_factory=dict)  # board -> job ids back


@dataclass(eq=False)
class _Body:
    """One served version of a board: bytes, validators, and gzip made once on demand."""

    raw: bytes
    etag: str
    modified: datetime
    gz: bytes | None = None

    @classmethod
    def of(cls, raw: bytes, modified: datetime, gz: bytes | None = None) -> _Body:
        etag = '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'
        return cls(raw, etag, modified, gz)

    def gzipped(self) -> bytes:
        if self.gz is None:  # a race only compresses twice; the result is the same
            self.gz = gzip.compress(self.raw, compresslevel=5, mtime=0)
        return self.gz


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    delay_s: float = 0.0
    board: _Body | None = None  # the body to send, picked under the lock, bytes made after
    gzip: bool = False


class BoardFarm:
    """N real Ashby boards behind one local HTTP server, with rounds of changes and faults.

    Boards are the first `n_boards` files (sorted by name) that hold at least one job. Fault
    boards are drawn once from the seed, disjoint from each other; round changes may touch
    any board, fault boards included (`healthy` lists the boards that always answer 200).
    """

    def __init__(
        self,
        n_boards: int = 200,
        seed: int = 0,
        data_dir: Path | str | None = None,
        *,
        change_share: float = 0.1,
        drop_share: float = 0.1,
        return_after: int | None = 2,
        broken: int = 3,
        throttled: int = 3,
        slow: int = 2,
        redirected: int = 3,
        slow_delay: float = 30.0,
        latency: float = 0.0,
    ) -> None:
        """`return_after`: jobs dropped in round r come back in round r + return_after (None:
        never). `slow_delay`: how long slow boards take to answer. `latency`: added to every
        answer, so concurrency and rate limits are observable."""
        for name, share in (("change_share", change_share), ("drop_share", drop_share)):
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {share}")
        if return_after is not None and return_after < 1:
            raise ValueError(f"return_after must be >= 1 or None, got {return_after}")
        self.seed = seed
        self.change_share = change_share
        self.drop_share = drop_share
        self.return_after = return_after
        self.slow_delay = slow_delay
        self.latency = latency
        self.data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR

        self._api_version: dict[str, Any] = {}
        self._jobs: dict[str, list[dict[str, Any]]] = {}
        self._bodies: dict[str, _Body] = {}
        self._load(n_boards)
        self.boards: list[str] = list(self._jobs)
        # Original position of every job, so a returning job goes back where it was.
        self._order = {b: {j["id"]: i for i, j in enumerate(js)} for b, js in self._jobs.items()}

        counts = {"broken": broken, "throttled": throttled, "slow": slow, "redirected": redirected}
        if any(c < 0 for c in counts.values()) or sum(counts.values()) > len(self.boards):
            raise ValueError(f"fault counts {counts} do not fit {len(self.boards)} boards")
        picked = random.Random(f"faults:{seed}").sample(self.boards, sum(counts.values()))
        order = {b: i for i, b in enumerate(self.boards)}
        sets: dict[str, frozenset[str]] = {}
        for name, count in counts.items():
            sets[name], picked = frozenset(picked[:count]), picked[count:]
        self.broken: frozenset[str] = sets["broken"]  # always 500
        self.throttled: frozenset[str] = sets["throttled"]  # 429 on a round's first request
        self.slow: frozenset[str] = sets["slow"]  # answer after slow_delay seconds
        self.redirected: frozenset[str] = sets["redirected"]  # 301/302 to MOVED_PREFIX
        # Both kinds of redirect occur: 301 and 302 alternate in board order.
        self.redirect_codes: dict[str, int] = {
            b: (301, 302)[i % 2]
            for i, b in enumerate(sorted(self.redirected, key=order.__getitem__))
        }
        faulty = self.broken | self.throttled | self.slow | self.redirected
        self.healthy: list[str] = [b for b in self.boards if b not in faulty]

        self.round = 0
        self.history: list[RoundChanges] = [RoundChanges()]
        self._rng = random.Random(f"rounds:{seed}")
        self._pending: list[tuple[int, str, dict[str, Any]]] = []  # (due round, board, job)
        self._throttle_seen: set[str] = set()

        self._lock = threading.Lock()
        self._log: list[FarmRequest] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._origin = ""  # kept after stop() for answers still being decided
        self._thread: threading.Thread | None = None

    # -- loading ----------------------------------------------------------------------------

    def _load(self, n_boards: int) -> None:
        if not self.data_dir.is_dir():
            raise FileNotFoundError(f"Ashby board data not found: {self.data_dir}")
        if n_boards < 1:
            raise ValueError(f"n_boards must be >= 1, got {n_boards}")
        for path in sorted(self.data_dir.glob("*.json.gz")):
            packed = path.read_bytes()
            raw = gzip.decompress(packed)
            data = json.loads(raw)
            jobs = data.get("jobs") if isinstance(data, dict) else None
            if not isinstance(jobs, list) or not jobs:
                continue
            slug = unquote(path.name.removesuffix(".json.gz"))
            self._api_version[slug] = data.get("apiVersion", "1")
            self._jobs[slug] = jobs
            # Round 0 serves the recorded response byte for byte, and its gzip file as is.
            self._bodies[slug] = _Body.of(raw, ROUND_ZERO, gz=packed)
            if len(self._jobs) == n_boards:
                return
        raise ValueError(
            f"n_boards={n_boards} but {self.data_dir} has only {len(self._jobs)} boards with "
            "jobs; the farm serves real boards only, so ask for at most that many"
        )

    # -- URLs and listings --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` while running."""
        if self._server is None:
            raise RuntimeError("the board farm is not running (use start() or `with`)")
        return self._origin

    def board_url(self, board: str) -> str:
        """The API URL of a board (any slug: unknown ones answer 404)."""
        return f"{self.base_url}{API_PREFIX}{quote(board, safe='')}?{QUERY}"

    def board_urls(self) -> list[str]:
        """The API URLs of all boards, in `boards` order."""
        return [self.board_url(b) for b in self.boards]

    def jobs(self, board: str) -> list[dict[str, Any]]:
        """The board's current listing (copies: editing them changes nothing served)."""
        with self._lock:
            return [dict(j) for j in self._jobs[board]]

    def etag(self, board: str) -> str:
        """The ETag the board answers with in this round."""
        with self._lock:
            return self._bodies[board].etag

    def last_modified(self, board: str) -> datetime:
        """The time of the round in which the board last changed."""
        with self._lock:
            return self._bodies[board].modified

    @staticmethod
    def round_time(r: int) -> datetime:
        """The synthetic clock of round r (Last-Modified values)."""
        return ROUND_ZERO + r * ROUND_STEP

    # -- rounds ------------------------------------------------------------------------------

    @property
    def changed(self) -> dict[str, list[str]]:
        """This round's edited boards -> the job ids edited (title or description)."""
        return self.history[self.round].changed

    @property
    def dropped(self) -> dict[str, list[str]]:
        """This round's boards that lost jobs -> the job ids removed."""
        return self.history[self.round].dropped

    @property
    def returned(self) -> dict[str, list[str]]:
        """This round's boards where earlier dropped jobs came back -> those job ids."""
        return self.history[self.round].returned

    @property
    def unchanged(self) -> list[str]:
        """Boards that serve the same bytes as in the round before."""
        moved = self.changed.keys() | self.dropped.keys() | self.returned.keys()
        return [b for b in self.boards if b not in moved]

    def quiet_round(self) -> RoundChanges:
        """Advance a round that changes nothing (returns due now wait for the next round)."""
        return self._advance(RoundChanges(), {})

    def next_round(self) -> RoundChanges:
        """Advance a round: due jobs return, `change_share` of the boards edit one job,
        `drop_share` drop 1-2 jobs (keeping at least one). Deterministic for a seed; call it
        from one thread (requests may run meanwhile: they see the old round or the new)."""
        r = self.round + 1
        rng = self._rng
        jobs = {b: list(js) for b, js in self._jobs.items()}
        changes = RoundChanges()

        due = [p for p in self._pending if p[0] <= r]
        self._pending = [p for p in self._pending if p[0] > r]
        for _, board, job in due:
            jobs[board].append(job)
            changes.returned.setdefault(board, []).append(job["id"])
        for board in changes.returned:
            order = self._order[board]
            jobs[board] = sorted(jobs[board], key=lambda j: order[j["id"]])

        candidates = [b for b in self.boards if b not in changes.returned]
        for board in self._pick(candidates, self.change_share):
            i = rng.randrange(len(jobs[board]))
            job = dict(jobs[board][i])
            if rng.random() < 0.5:
                job["title"] = f"{job.get('title') or ''} (rev {r})".strip()
            else:
                job["descriptionHtml"] = f"{job.get('descriptionHtml') or ''}<p>Revised {r}.</p>"
                job["descriptionPlain"] = f"{job.get('descriptionPlain') or ''}\n\nRevised {r}."
            jobs[board][i] = job
            changes.changed[board] = [job["id"]]

        candidates = [b for b in candidates if b not in changes.changed and len(jobs[b]) >= 2]
        for board in self._pick(candidates, self.drop_share):
            k = min(rng.randint(1, 2), len(jobs[board]) - 1)
            gone = rng.sample(range(len(jobs[board])), k)
            removed = [jobs[board][i] for i in sorted(gone)]
            jobs[board] = [j for i, j in enumerate(jobs[board]) if i not in gone]
            changes.dropped[board] = [j["id"] for j in removed]
            if self.return_after is not None:
                self._pending += [(r + self.return_after, board, j) for j in removed]

        return self._advance(changes, jobs)

    def _pick(self, candidates: list[str], share: float) -> list[str]:
        """`share` of all boards drawn from `candidates`, in farm order."""
        k = min(round(share * len(self.boards)), len(candidates))
        chosen = set(self._rng.sample(candidates, k))
        return [b for b in self.boards if b in chosen]

    def _advance(
        self, changes: RoundChanges, jobs: dict[str, list[dict[str, Any]]]
    ) -> RoundChanges:
        r = self.round + 1
        moved = changes.changed.keys() | changes.dropped.keys() | changes.returned.keys()
        bodies = {b: self._serialize(b, jobs[b], self.round_time(r)) for b in moved}
        with self._lock:
            for b in moved:
                self._jobs[b] = jobs[b]
                self._bodies[b] = bodies[b]
            self.history.append(changes)
            self.round = r
            self._throttle_seen.clear()
        return changes

    def _serialize(self, board: str, jobs: list[dict[str, Any]], when: datetime) -> _Body:
        payload = {"apiVersion": self._api_version[board], "jobs": jobs}
        return _Body.of(json.dumps(payload, ensure_ascii=False).encode(), when)

    # -- serving -----------------------------------------------------------------------------

    def start(self) -> BoardFarm:
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="board-farm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop at once: slow answers are abandoned and open connections closed."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping on a slow board
        server.shutdown()
        with server.connections_lock:
            conns = list(server.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BoardFarm:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[_Reply, FarmRequest]:
        """Decide the reply to one request and log it (under the lock: rounds may advance)."""
        started = time.monotonic()
        parts = urlsplit(target)
        board: str | None = None
        moved = parts.path.startswith(MOVED_PREFIX)
        prefix = MOVED_PREFIX if moved else API_PREFIX
        if parts.path.startswith(prefix) and "/" not in parts.path[len(prefix) :]:
            board = unquote(parts.path[len(prefix) :]) or None
        with self._lock:
            reply = self._reply(board, moved, parts.path, parts.query, headers)
            reply.delay_s += self.latency
            entry = FarmRequest(
                started=started,
                round=self.round,
                method=method,
                path=parts.path,
                board=board,
                status=reply.status,
                headers={k: headers[k] for k in LOGGED_HEADERS if k in headers},
            )
            self._log.append(entry)
        if reply.board is not None:  # compressing outside the lock keeps other answers going
            reply.body = reply.board.gzipped() if reply.gzip else reply.board.raw
        return reply, entry

    def _reply(
        self, board: str | None, moved: bool, path: str, query: str, headers: dict[str, str]
    ) -> _Reply:
        body = self._bodies.get(board) if board is not None else None
        if board is None or body is None:
            return _Reply(404, {}, b'{"error":"not found"}')
        if board in self.broken:
            return _Reply(500, {}, b'{"error":"internal server error"}')
        if board in self.throttled and board not in self._throttle_seen:
            self._throttle_seen.add(board)
            return _Reply(429, {"Retry-After": "1"}, b'{"error":"too many requests"}')
        if board in self.redirected and not moved:
            location = f"{self._origin}/moved{path}" + (f"?{query}" if query else "")
            return _Reply(self.redirect_codes[board], {"Location": location})
        delay = self.slow_delay if board in self.slow else 0.0
        validators = {
            "ETag": body.etag,
            "Last-Modified": format_datetime(body.modified, usegmt=True),
        }
        if _not_modified(body, headers):
            return _Reply(304, validators, delay_s=delay)
        out = {"Content-Type": "application/json", "Vary": "Accept-Encoding", **validators}
        wants_gzip = _accepts_gzip(headers.get("accept-encoding", ""))
        if wants_gzip:
            out["Content-Encoding"] = "gzip"
        return _Reply(200, out, delay_s=delay, board=body, gzip=wants_gzip)

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[FarmRequest]:
        """Every request so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the log (say, after a warm-up crawl)."""
        with self._lock:
            self._log.clear()

    def requests_in_round(self, r: int) -> list[FarmRequest]:
        """Requests that arrived while round r was current."""
        return [q for q in self.requests if q.round == r]

    def count(
        self, board: str | None = None, status: int | None = None, round: int | None = None
    ) -> int:
        """Requests matching every filter given."""
        return sum(
            1
            for q in self.requests
            if (board is None or q.board == board)
            and (status is None or q.status == status)
            and (round is None or q.round == round)
        )

    def max_in_window(self, seconds: float, round: int | None = None) -> int:
        """The most requests (any status) started within any window of `seconds`: the figure
        a client-side rate limit must keep down."""
        starts = sorted(q.started for q in self.requests if round is None or q.round == round)
        best = lo = 0
        for hi, t in enumerate(starts):
            while t - starts[lo] >= seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def max_concurrent(self, round: int | None = None) -> int:
        """The most requests in flight at once (requests still running count as open)."""
        events: list[tuple[float, int]] = []
        for q in self.requests:
            if round is None or q.round == round:
                events += [(q.started, 1), (q.ended if q.ended is not None else float("inf"), -1)]
        best = now = 0
        for _, step in sorted(events):  # at equal times, an end (-1) sorts before a start
            now += step
            best = max(best, now)
        return best


def _not_modified(body: _Body, headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since when both are sent."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or body.etag in tags
    ims = headers.get("if-modified-since")
    if not ims:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since >= body.modified


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = params.strip()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


class _Server(ThreadingHTTPServer):
    """Handler threads are daemons and never joined, so stop() can't hang on a slow board or
    an idle keep-alive client; open connections are tracked so stop() can close them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, farm: BoardFarm) -> None:
        self.farm = farm
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, stop()) are part of the game, not test noise.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body of every keep-alive
    # answer would wait ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        farm = self.server.farm
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply, entry = farm._answer(self.command, self.path, headers)
        try:
            if reply.delay_s and farm._stopping.wait(reply.delay_s):
                self.close_connection = True  # stopping: abandon the answer
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status != 304:  # a 304 has no body, and no length to announce
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD" and reply.body:
                self.wfile.write(reply.body)
        finally:
            entry.ended = time.monotonic()

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


# -- boards of the other ATS kinds ------------------------------------------------------------

SR_PREFIX = "/v1/companies/"
PERSONIO_PREFIX = "/personio/"
# Detail-only fields of a SmartRecruiters posting: the list leaves them out.
_SR_DETAIL_ONLY = ("jobAd", "applyUrl", "postingUrl", "referralUrl", "active", "visibility")


class AtsBoards:
    """SmartRecruiters and Personio boards on 127.0.0.1, served from recorded payloads.

    SmartRecruiters: the postings list pages (`offset`/`limit`/`totalFound`, no descriptions)
    and one detail per posting; Personio: the XML feed. Every answer carries an ETag and
    honours If-None-Match (304), as the real APIs' CDNs do. `drop(kind, board, id)` takes a
    posting off its board, so a test sees the crawl close it.

        with AtsBoards(smartrecruiters={"Acme": doc}, personio={"acme": xml}) as boards:
            url = boards.url("smartrecruiters", "Acme")
    """

    def __init__(
        self,
        smartrecruiters: dict[str, dict[str, Any]] | None = None,
        personio: dict[str, str] | None = None,
        page_size: int = 100,
    ) -> None:
        import xml.etree.ElementTree as ET

        self._sr = {b: [dict(p) for p in doc["content"]]
                    for b, doc in (smartrecruiters or {}).items()}
        self._personio = {b: ET.fromstring(x.encode()) for b, x in (personio or {}).items()}
        self.page_size = page_size
        self.requests: list[tuple[str, int, dict[str, str]]] = []  # (path?query, status, headers)
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self.base_url = ""

    def url(self, kind: str, board: str) -> str:
        """The board's API URL (what `hirehound sources add --kind <kind>` takes)."""
        if kind == "smartrecruiters":
            return f"{self.base_url}{SR_PREFIX}{quote(board, safe='')}/postings?limit=100"
        if kind == "personio":
            return f"{self.base_url}{PERSONIO_PREFIX}{quote(board, safe='')}/xml"
        raise ValueError(f"no {kind} boards here")

    def ids(self, kind: str, board: str) -> list[str]:
        """The posting ids the board lists now."""
        with self._lock:
            if kind == "smartrecruiters":
                return [str(p["id"]) for p in self._sr[board]]
            return [p.findtext("id") or "" for p in self._personio[board].iter("position")]

    def drop(self, kind: str, board: str, posting_id: str) -> None:
        """Take a posting off a board (the list, its detail, the feed)."""
        with self._lock:
            if kind == "smartrecruiters":
                self._sr[board] = [p for p in self._sr[board] if str(p["id"]) != posting_id]
            else:
                root = self._personio[board]
                for p in list(root.iter("position")):
                    if p.findtext("id") == posting_id:
                        root.remove(p)

    def __enter__(self) -> AtsBoards:
        from tests.support.httpserver import serve

        self._stack = contextlib.ExitStack()
        self.base_url = self._stack.enter_context(serve(self._handle))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stack is not None:
            self._stack.close()

    def _handle(self, req: Any) -> Any:
        from tests.support.httpserver import Response

        status, body, ctype = self._answer(req.path, {k: v[0] for k, v in req.query.items()})
        headers = {"Content-Type": ctype}
        if status == 200:
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            headers["ETag"] = etag
            if req.headers.get("if-none-match") == etag:
                status, body = 304, b""
        query = "&".join(f"{k}={v[0]}" for k, v in sorted(req.query.items()))
        with self._lock:
            self.requests.append((req.path + (f"?{query}" if query else ""), status,
                                  {k: req.headers[k] for k in LOGGED_HEADERS
                                   if k in req.headers}))
        return Response(status, body, headers)

    def _answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, str]:
        import xml.etree.ElementTree as ET

        not_found = (404, b'{"message": "not found"}', "application/json")
        with self._lock:
            if path.startswith(SR_PREFIX):
                parts = [unquote(p) for p in path[len(SR_PREFIX):].split("/")]
                postings = self._sr.get(parts[0])
                if postings is None or len(parts) < 2 or parts[1] != "postings":
                    return not_found
                if len(parts) == 3:  # one posting's detail
                    found = [p for p in postings if str(p["id"]) == parts[2]]
                    return (200, json.dumps(found[0]).encode(), "application/json") if found \
                        else not_found
                offset = int(query.get("offset", 0))
                limit = min(int(query.get("limit", self.page_size)), self.page_size)
                page = [{k: v for k, v in p.items() if k not in _SR_DETAIL_ONLY}
                        for p in postings[offset:offset + limit]]
                doc = {"offset": offset, "limit": limit, "totalFound": len(postings),
                       "content": page}
                return 200, json.dumps(doc).encode(), "application/json"
            if path.startswith(PERSONIO_PREFIX) and path.endswith("/xml"):
                root = self._personio.get(unquote(path[len(PERSONIO_PREFIX):-len("/xml")]))
                if root is None:
                    return not_found
                xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)
                return 200, xml, "text/xml; charset=UTF-8"
        return not_found


@contextlib.contextmanager
def one_board_source(seed: int = 5) -> Iterator[tuple[BoardFarm, int]]:
    """One healthy board of a farm, registered as a crawl source that is due now: the farm
    and the source's id."""
    from hirehound import crawl
    from hirehound.storage import db

    with BoardFarm(n_boards=1, seed=seed, broken=0, throttled=0, slow=0, redirected=0) as farm:
        with db.transaction() as s:
            source, _ = crawl.add_source(s, farm.board_urls()[0], every_s=60,
                                         min_interval_s=0.0)
            source_id = source.id
        yield farm, source_id
