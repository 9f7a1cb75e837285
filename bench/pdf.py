"""Contract PDFs per second (core/pdf.py + templates/pdf/contract.html, WeasyPrint).

    .venv/bin/python bench/pdf.py [--count 30] [--processes 1 2]

Renders the contract PDF (renewals.documents.contract_pdf_bytes) of contracts from the
bench database, in English and Chinese alternately, first in one process and then in
``--processes`` worker processes at once (how a Celery worker pool would render them).
Prints PDFs per second, mean milliseconds and bytes per PDF; asserts nothing. Nothing is
stored: only the rendering is measured.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

from common import django_setup, machine_line, scale_line


def _contract_ids(count: int) -> list[int]:
    from contracts.models import Contract

    return list(
        Contract.objects.filter(status="active").order_by("id").values_list("id", flat=True)[:count]
    )


def render(ids: list[int]) -> tuple[int, float, list[float], int]:
    """Render every id's PDF; returns (count, seconds, per-PDF ms, total bytes)."""
    from contracts.models import Contract
    from renewals.documents import contract_pdf_bytes

    per, size = [], 0
    started = time.perf_counter()
    for i, pk in enumerate(ids):
        t = time.perf_counter()
        contract = Contract.objects.select_related("customer", "predecessor", "terms_version").get(
            pk=pk
        )
        data = contract_pdf_bytes(contract=contract, language="en" if i % 2 else "zh-hans")
        per.append((time.perf_counter() - t) * 1000)
        size += len(data)
    return len(ids), time.perf_counter() - started, per, size


def _worker(ids: list[int]) -> tuple[int, float, list[float], int]:
    django_setup()
    from django.db import connection

    connection.close()  # a fresh connection in the child process
    render(ids[:1])  # warm-up: fonts and templates load once per process
    return render(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    django_setup()
    print(machine_line())
    print(scale_line())
    ids = _contract_ids(args.count * max(args.processes))
    render(ids[:1])  # warm-up
    print(
        f"{'processes':>9} {'PDFs':>5} {'seconds':>8} {'PDFs/s':>7} {'mean ms':>8} {'KiB/PDF':>8}"
    )
    for procs in args.processes:
        chunks = [ids[i * args.count : (i + 1) * args.count] for i in range(procs)]
        started = time.perf_counter()
        if procs == 1:
            results = [render(chunks[0])]
        else:
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                results = pool.map(_worker, chunks)
        wall = time.perf_counter() - started
        n = sum(r[0] for r in results)
        per = [ms for r in results for ms in r[2]]
        size = sum(r[3] for r in results)
        print(
            f"{procs:>9} {n:>5} {wall:>8.1f} {n / wall:>7.2f} "
            f"{statistics.fmean(per):>8.0f} {size / n / 1024:>8.1f}"
        )
    print(machine_line())


if __name__ == "__main__":
    main()
