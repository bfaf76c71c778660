"""The results as the table of docs/benchmarks.md, and writing them there."""

from __future__ import annotations

import os
import platform
import statistics
import time
from datetime import UTC, datetime

from tests.bench.common import (
    BLOCK_SIZE,
    CONNECTIONS,
    DOC,
    LOAD_DRAIN,
    LOAD_SECONDS,
    LOAD_STUDENTS,
    QUICK,
    ROUNDS,
    SIZES,
    SLICE,
)

# --- report -------------------------------------------------------------------------------------


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def render(db, people, results, queries, flat, cost, pages, sizes, load, command, started) -> str:
    import django

    heavy, light = flat
    kind = "quick" if QUICK else "full"
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {kind}, {time.monotonic() - started:.0f} s in all.",
        f"Machine: {os.cpu_count()} CPUs (nproc), {platform.python_implementation()} {platform.python_version()}, "
        f"Django {django.get_version()}, {db.describe()}. Load average: {LOADS[0]:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after it (other processes share these CPUs).",
        f"Command: `{command}`",
        f"Population: {SIZES['students']} students x {SIZES['questions']} questions, {sizes[0][1]:,} review-log "
        f"rows; heavy student {people['heavy_cards']:,} cards / {people['heavy_reviews']:,} reviews; light "
        f"student {people['light_cards']} cards / {people['light_reviews']} reviews. gunicorn: 2 sync workers; "
        f"wrk: {CONNECTIONS} connections; each scenario {ROUNDS} x {SLICE} s, each slice right after "
        f"{SLICE} s of the reference view.",
        "",
        "| scenario | requests/s | reference requests/s (its slices) | ratio | p50 ms | p95 ms | p99 ms "
        "| queries/request | worker RSS MB | 4xx / 5xx / socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (ref, r) in results.items():
        lines.append(
            f"| {name} | {r['rps']:.0f} | {ref['rps']:.0f} | **{r['rps'] / ref['rps']:.2f}** | {ms(r['p50_us'])} | "
            f"{ms(r['p95_us'])} | {ms(r['p99_us'])} | {queries[name]} | {r['rss_mb']:.0f} | "
            f"{r['n4xx']} / {r['n5xx']} / {r['socket_errors']} |"
        )
    refs = [ref for ref, _ in results.values()]
    lines += [
        "",
        f"Reference view: {queries['reference']} query, p50 {ms(statistics.median(x['p50_us'] for x in refs))} ms, "
        f"{min(x['rps'] for x in refs):.0f}-{max(x['rps'] for x in refs):.0f} requests/s over the run. "
        "A loop counts every request (a `next` and its answer are two); its queries/request is the mean of the "
        f"pair (API answer {queries['api-answer']} queries; form post {queries['html-answer']}; htmx: card panel "
        f"{queries['htmx-panel']}, answer with its feedback panel {queries['htmx-answer']}). "
        + "; ".join(
            f"{name}: {r['accepted']} answers accepted, {r['empty']} times nothing to study"
            for name, (_, r) in results.items()
            if name.endswith("loop")
        )
        + ".",
        *(
            [
                "",
                f"block-tutor: a student through tutor blocks of {BLOCK_SIZE} questions by the plain forms (start, "
                "then per question the page, the answer's post and the page with its feedback; then finish and the "
                f"result page): {results['block-tutor'][1]['nexts']} blocks started, "
                f"{results['block-tutor'][1]['accepted']} answers accepted; queries per request of each step: "
                + ", ".join(f"{step} {n}" for step, n in queries["block-steps"].items())
                + ".",
            ]
            if "block-tutor" in results
            else []
        ),
        "",
        f"**Flat cost** (in-process, Django test client, best of 5 x 100 calls, on a {heavy['kind']} card for "
        "both; answers rolled back):",
        "",
        "| student | next: queries | next: ms | answer: queries | answer: ms |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {r['who']} | {r['next_q']} | {r['next_ms']:.2f} | {r['answer_q']} | {r['answer_ms']:.2f} |"
            for r in flat
        ],
        "",
        f"Heavy / light: next {heavy['next_ms'] / light['next_ms']:.2f}x, answer "
        f"{heavy['answer_ms'] / light['answer_ms']:.2f}x (target: the same queries, within 1.20x).",
        "",
        f"**Answering a card in-process** (`answer_card`: grading, FSRS, writes; rolled back): "
        f"{cost['service_ms']:.2f} ms, the reference view through the test client {cost['reference_ms']:.2f} ms: "
        f"**{cost['ratio']:.1f}x** (target: at most 6x).",
        "",
        *(
            [
                "On PostgreSQL the in-process figures roll back each answer, and psycopg forgets the "
                "connection's prepared statements at every ROLLBACK: they include parsing and planning "
                "statements that the gunicorn runs above (which commit) prepare once per connection.",
                "",
            ]
            if db.vendor == "postgresql"
            else []
        ),
        f"**Class-scale pages** (in-process, median; the reference view {pages['reference_ms']:.2f} ms the same "
        f"way; the typical student has {people['typical_reviews']:,} reviews):",
        "",
        "| page | ms | queries | ratio to reference |",
        "|---|---:|---:|---:|",
        *[
            f"| {name} `{p['url']}` | {p['ms']:.1f} | {p['queries']} | {p['ms'] / pages['reference_ms']:.1f}x |"
            for name, p in pages["pages"].items()
        ],
        "",
        f"The analytics page reads the class statistics snapshot (`cards.services.class_stats`); "
        f"recomputing it for the class ({pages['refresh']['students']:,} students) took "
        f"{pages['refresh']['ms']:,.0f} ms in {pages['refresh']['queries']} queries (`manage.py refresh_class_stats`, "
        f'or "Recalculate now"; a page view never does).',
        "",
    ]
    if load:
        lines += [
            f"**Load test** ({LOAD_STUDENTS} students at once, {LOAD_SECONDS} s, the API loop, one answer in ten "
            f"sent twice, nothing sent in the last {LOAD_DRAIN} s): {load['active_rps']:.0f} requests/s, "
            f"p50 {ms(load['p50_us'])} ms, p95 {ms(load['p95_us'])} ms, p99 {ms(load['p99_us'])} ms; 5xx: "
            f"{load['n5xx']}, 4xx: {load['n4xx']}, socket errors: {load['socket_errors']}; answers accepted (200, "
            f"not replayed): {load['accepted']}, double submits replayed: {load['replayed']}; review-log rows "
            f"added: {load['rows_added']}; accepted review ids logged: {load['ids_logged']} ({load['ids_distinct']} "
            f"distinct, {load['ids_found']} found in the log): "
            f"**{'consistent' if load['consistent'] else 'MISMATCH'}**; worker RSS {load['rss_mb']:.0f} MB.",
            "",
        ]
    lines.append("Review-log size: " + ", ".join(f"{k} {v:,}" for k, v in sizes) + " (bytes).")
    lines += ["", "<details><summary>EXPLAIN of the heaviest queries of the class-scale pages</summary>", ""]
    for name, p in [*pages["pages"].items(), ("class statistics snapshot refresh", pages["refresh"])]:
        for plan in p["plans"]:
            sql = plan["sql"][:1500] + (" ..." if len(plan["sql"]) > 1500 else "")
            lines += [f"{name}, {plan['ms']:.1f} ms:", "", "```sql", sql, "```", "```", plan["plan"], "```", ""]
    lines.append("</details>")
    return "\n".join(lines)


def write_doc(db, text: str) -> None:
    key = f"{db.vendor}-{'quick' if QUICK else 'full'}"
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{start}\n{text}\n{end}"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end) :]
    else:
        title = f"{db.label}, {'BENCH_QUICK=1' if QUICK else 'full run'}"
        doc = doc.rstrip("\n") + f"\n\n## Latest run: {title}\n\n{block}\n"
    DOC.write_text(doc)


LOADS = os.getloadavg()
