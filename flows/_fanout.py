"""Child runs of a deployment spread over the work pool, and waiting for them.

    if deployed("crawl-sources/crawl-sources"):
        key = parent_key()
        runs = [start_child("crawl-sources/crawl-sources", {...}, key=f"{key}:{n}", name=...)
                for n, batch in enumerate(batches, 1)]
        seen = wait_for([r.id for r in runs], timeout_s=3300)   # {run id: FlowRun}
        state_of(seen.get(runs[0].id))                         # "COMPLETED", "CRASHED", ...

A child is created with `run_deployment(..., timeout=0, as_subflow=True)`: it returns at once,
any worker of the pool polling the deployment's queue may take the run (the queue's
concurrency limit binds across all of them), and the UI draws it under the parent. The
idempotency key stops a retried parent from starting the same child twice. The parent then
polls the children's states a batch at a time (one API call per READ_BATCH runs), not one
`wait` per child. A child run costs about a second of orchestration: give each minutes of work.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
POLL_S = 3.0
READ_BATCH = 200  # runs per read: the API's default page size


def deployed(name: str) -> bool:
    """Whether `flow-name/deployment-name` exists on the API this process talks to (never on
    the temporary API a CLI command starts)."""
    from tasks._context import on_server

    return on_server(lambda client: client.read_deployment_by_name(name))


def parent_key() -> str:
    """This flow run's id (the same across retries of the run), for idempotency keys."""
    from prefect.runtime import flow_run

    return str(flow_run.id or uuid.uuid4().hex)


def start_child(deployment: str, parameters: dict[str, Any], *, key: str, name: str) -> Any:
    """Create one child run of `deployment` for any worker of the pool; return it at once."""
    from prefect.deployments import run_deployment

    child: Any = run_deployment(  # a FlowRun here (sync caller); typed as maybe-async
        deployment,
        parameters=parameters,
        timeout=0,
        as_subflow=True,
        idempotency_key=key,
        flow_run_name=name,
    )
    return child


def state_of(run: Any) -> str:
    """The state type of a flow run as read ("COMPLETED", ...); "PENDING" when unknown."""
    state = getattr(run, "state", None)
    return state.type.value if state is not None else "PENDING"


def wait_for(
    run_ids: Sequence[Any],
    timeout_s: float,
    *,
    poll_s: float = POLL_S,
    on_poll: Callable[[dict[Any, Any]], None] | None = None,
) -> dict[Any, Any]:
    """Poll the runs until every one is final or `timeout_s` has passed; return the last read
    of each ({run id: FlowRun}; a run never read is missing). `on_poll` sees every read."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    ids = list(run_ids)
    seen: dict[Any, Any] = {}
    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while True:
            # Only the runs not final yet: a final state never changes.
            open_ids = [i for i in ids if state_of(seen.get(i)) not in FINAL]
            for start in range(0, len(open_ids), READ_BATCH):
                batch = open_ids[start:start + READ_BATCH]
                for run in client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=batch)),
                    limit=len(batch),
                ):
                    seen[run.id] = run
            if on_poll is not None:
                on_poll(seen)
            if len(seen) == len(ids) and all(state_of(r) in FINAL for r in seen.values()):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(poll_s)
    return seen
