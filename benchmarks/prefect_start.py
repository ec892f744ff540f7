"""What starting Prefect's local API costs: the phases of a start on an empty Prefect home.

    .venv/bin/python benchmarks/prefect_start.py

The same steps the temporary server (and hirehound/cli/_prefect_api.py's kept-alive one)
runs at start, one after the other in this process, on a fresh PREFECT_HOME: import the
server, build the app, migrate its SQLite database, register the block types. Prints wall
and CPU seconds of each; last line `cpu_s=<total> wall_s=<total>`.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_dir, commit


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    os.environ["PREFECT_HOME"] = str(bench_dir("hh-bench-prefect-"))
    os.environ.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    os.environ.pop("PREFECT_API_URL", None)
    print(f"commit {commit()}, load average {os.getloadavg()[0]:.1f}")
    marks: list[tuple[str, float, float]] = []
    t, c = time.perf_counter(), _cpu()

    def mark(name: str) -> None:
        nonlocal t, c
        marks.append((name, time.perf_counter() - t, _cpu() - c))
        print(f"  {name:<24} wall {marks[-1][1]:5.1f} s   cpu {marks[-1][2]:5.1f} s", flush=True)
        t, c = time.perf_counter(), _cpu()

    from prefect.server.api.server import create_app

    mark("import the server")
    create_app(ephemeral=True, final=True)
    mark("build the app")
    from prefect.server.database import provide_database_interface

    async def migrate() -> None:
        await provide_database_interface().create_db()

    asyncio.run(migrate())
    mark("migrate (SQLite)")
    from prefect.server.models.block_registration import run_block_auto_registration

    async def register() -> None:
        session = await provide_database_interface().session()
        async with session:
            await run_block_auto_registration(session=session)

    asyncio.run(register())
    mark("register block types")
    print(f"\ncpu_s={sum(m[2] for m in marks):.1f} wall_s={sum(m[1] for m in marks):.1f}")


if __name__ == "__main__":
    main()
