"""What a search's index scan costs PostgreSQL as a deployment grows from two stores to a hundred.

    .venv/bin/python -m bench.search_stores [--stores 2,20,100] [--rounds 20]

Needs the catalog benchmark's database (``bench/seed.py``). For each store count it copies store
1's 10,000 search entries to that many stores, in a scratch schema, twice: as catalog_0002 wrote
them (one index of every store's plain words, the store filtered afterwards) and as catalog_0006
writes them (every lexeme carrying its store's id, ``pyc_store_lexemes``). Then it times the
benchmark's two-word searches (``bench/results/targets.json``) against store 1 on each, one
connection, prepared statements with one generic plan (as ``pyc_product_search_matches`` runs
them), and prints the mean per search. Only the matching is measured: the page around it
(products, variants, images) costs the same whatever the number of stores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import asyncpg

URL = "postgresql://postgres@127.0.0.1:5432/pyc_bench"
TARGETS = Path(__file__).resolve().parent / "results" / "targets.json"
SCHEMA = "bench_search_stores"
LAYOUTS = {
    "plain words (catalog_0002)": ("document", "document @@ to_tsquery('simple', $2)"),
    "store's lexemes (catalog_0006)": ("pyc_store_lexemes(s, document)",
                                       "document @@ pyc_store_tsquery($1, to_tsquery('simple', $2))"),
}


async def build(connection: asyncpg.Connection, stores: int) -> None:
    """The scratch schema: store 1's entries copied to ``stores`` stores, in each layout."""
    await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    for number, (document, _) in enumerate(LAYOUTS.values()):
        table = f"{SCHEMA}.entries_{number}"
        await connection.execute(
            f"CREATE TABLE {table} AS SELECT row_number() OVER () AS product_id, s AS store_id, {document} AS document "
            "FROM (SELECT regexp_replace(document::text, '(^| )''[0-9]+_', '\\1''', 'g')::tsvector AS document "
            "      FROM product_search WHERE store_id = 1) AS one, generate_series(1, $1) AS s ORDER BY random()",
            stores)
        await connection.execute(f"CREATE INDEX ON {table} USING gin (document)")
        await connection.execute(f"VACUUM ANALYZE {table}")


async def mean_search_ms(connection: asyncpg.Connection, condition: str, table: str, words: list[str],
                         rounds: int) -> float:
    statement = await connection.prepare(f"SELECT product_id FROM {table} WHERE store_id = $1 AND {condition}")
    for query in words:  # warm the cache and settle the plan
        await statement.fetch(1, query)
    started = time.perf_counter()
    for _ in range(rounds):
        for query in words:
            await statement.fetch(1, query)
    return (time.perf_counter() - started) * 1000 / (rounds * len(words))


async def main(store_counts: list[int], rounds: int) -> None:
    store = json.loads(TARGETS.read_text())["stores"][0]
    words = [" & ".join([*pair.split()[:-1], pair.split()[-1] + ":*"]) for pair in store["words"]]
    connection = await asyncpg.connect(URL)
    try:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        print("| stores | entries | " + " | ".join(f"{name}: ms a search" for name in LAYOUTS) + " |")
        print("|---:|---:|" + "---:|" * len(LAYOUTS))
        for stores in store_counts:
            await build(connection, stores)
            means = [await mean_search_ms(connection, condition, f"{SCHEMA}.entries_{number}", words, rounds)
                     for number, (_, condition) in enumerate(LAYOUTS.values())]
            print(f"| {stores} | {stores * 10_000:,} | " + " | ".join(f"{m:.2f}" for m in means) + " |", flush=True)
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="2,20,100", help="store counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the benchmark's search words")
    args = parser.parse_args()
    asyncio.run(main([int(n) for n in args.stores.split(",")], args.rounds))
