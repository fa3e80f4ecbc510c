"""Database full-text backend: PostgreSQL `tsvector('simple')` + GIN, or SQLite FTS5.

Both search the normalised, segmented text in `SearchDocument.title_norm/body_norm`.
Queries are built only from normaliser tokens (letters and digits) and are passed as
parameters: `plainto_tsquery` on PostgreSQL, each token double-quoted for FTS5 — so no
user input can produce a query-syntax error. Titles weigh more: weight A vs B with
`ts_rank` on PostgreSQL, bm25 column weights 10:1 on SQLite.
"""

from __future__ import annotations

from django.db import connection

from search.backends import Criteria, RawHit, RawResult, Scope

TABLE = "search_searchdocument"
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
# When more documents match than this, relevance ranking scores only the title matches
# and the newest matches (this many of each), so a very common word still answers fast.
RANK_CANDIDATES = 1000


def _fts5_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_match(
    tokens: list[str], *, op: str = "AND", prefix_last: bool = False, column: str | None = None
) -> str:
    parts = [_fts5_phrase(t) for t in tokens]
    if prefix_last and parts:
        parts[-1] += "*"
    expr = f" {op} ".join(parts)
    if column:
        expr = "{" + column + "} : (" + expr + ")"
    return expr


def _tsquery_literal(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def scope_sql(scope: Scope, col: str = "d.audience_path") -> tuple[str, list]:
    if scope.everything:
        return "1=1", []
    parts, params = [], []
    if scope.paths:
        parts.append(f"{col} IN ({', '.join(['%s'] * len(scope.paths))})")
        params.extend(scope.paths)
    for prefix in scope.prefixes:
        parts.append(f"{col} LIKE %s")
        params.append(prefix.replace("%", r"\%").replace("_", r"\_") + "%")
    if not parts:
        return "1=0", []
    return "(" + " OR ".join(parts) + ")", params


def _filters(c: Criteria, *, with_types: bool) -> tuple[str, list]:
    where, params = ["d.is_published"], []
    sql, p = scope_sql(c.scope)
    where.append(sql)
    params += p
    if with_types and c.types:
        where.append(f"d.doc_type IN ({', '.join(['%s'] * len(c.types))})")
        params += list(c.types)
    if c.date_from is not None:
        where.append("d.date >= %s")
        params.append(c.date_from)
    if c.date_to is not None:
        where.append("d.date < %s")
        params.append(c.date_to)
    return " AND ".join(where), params


class DatabaseBackend:
    name = "database"

    @property
    def vendor(self) -> str:
        return connection.vendor

    # -- full-text search -----------------------------------------------------------
    def _match(self, c: Criteria) -> tuple[str, str, str, list]:
        """(from_sql, match_sql, score_sql, params) for the vendor."""
        if self.vendor == "postgresql":
            if c.match == "or":
                tsq = " || ".join(["plainto_tsquery('simple', %s)"] * len(c.tokens))
                params = list(c.tokens)
            else:
                tsq = "plainto_tsquery('simple', %s)"
                params = [" ".join(c.tokens)]
            from_sql = f"{TABLE} d, ({'SELECT ' + tsq} AS query) q"
            return (
                from_sql,
                "d.search_vector @@ q.query",
                "ts_rank(d.search_vector, q.query)",
                params,
            )
        op = "OR" if c.match == "or" else "AND"
        from_sql = f"search_fts JOIN {TABLE} d ON d.id = search_fts.rowid"
        return (
            from_sql,
            "search_fts MATCH %s",
            f"-bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})",
            [fts5_match(c.tokens, op=op)],
        )

    def _title_match(self, c: Criteria) -> tuple[str, list]:
        """SQL condition (on `d`) for 'every word is in the title'."""
        if self.vendor == "postgresql":
            joiner = " | " if c.match == "or" else " & "
            tsq = joiner.join(_tsquery_literal(t) + ":A" for t in c.tokens)
            return "d.search_vector @@ to_tsquery('simple', %s)", [tsq]
        op = "OR" if c.match == "or" else "AND"
        return (
            "d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)",
            [fts5_match(c.tokens, op=op, column="title_norm")],
        )

    def search(self, c: Criteria) -> RawResult:
        if not c.tokens or c.scope.empty:
            return RawResult(hits=[], total=0, facets={}, backend=self.name)
        from_sql, match_sql, score_sql, mparams = self._match(c)
        where, wparams = _filters(c, with_types=True)
        nulls = " NULLS LAST" if self.vendor == "postgresql" else ""
        fwhere, fparams = _filters(c, with_types=False)
        facet_sql = (
            f"SELECT d.doc_type, COUNT(*) FROM {from_sql} WHERE {match_sql} AND {fwhere} "
            f"GROUP BY d.doc_type"
        )
        with connection.cursor() as cur:
            cur.execute(facet_sql, mparams + fparams)
            facets = {row[0]: row[1] for row in cur.fetchall()}
            total = sum(n for t, n in facets.items() if not c.types or t in c.types)
            if not total or c.offset >= total:
                return RawResult(hits=[], total=total, facets=facets, backend=self.name)
            cols = "d.doc_type, d.object_id, d.title, d.snippet_text, d.date, d.url"
            if c.sort == "date":
                sql = (
                    f"SELECT {cols}, 0 AS score FROM {from_sql} WHERE {match_sql} AND {where} "
                    f"ORDER BY d.date DESC{nulls}, d.id DESC LIMIT %s OFFSET %s"
                )
                params = mparams + wparams + [c.limit, c.offset]
            elif total <= RANK_CANDIDATES:
                sql = (
                    f"SELECT {cols}, {score_sql} AS score FROM {from_sql} WHERE {match_sql} "
                    f"AND {where} ORDER BY score DESC, d.date DESC{nulls}, d.id DESC "
                    f"LIMIT %s OFFSET %s"
                )
                params = mparams + wparams + [c.limit, c.offset]
            else:
                # Very common words: rank only the candidates that can reach the first
                # pages — documents with the words in their title, and the newest
                # matches — instead of scoring every match.
                title_sql, tparams = self._title_match(c)
                cand_n = max(RANK_CANDIDATES, c.offset + c.limit)  # deep pages stay complete
                cand = (
                    f"SELECT id FROM (SELECT d.id FROM {TABLE} d WHERE {title_sql} AND {where} "
                    f"ORDER BY d.date DESC{nulls} LIMIT %s) t UNION "
                    f"SELECT id FROM (SELECT d.id FROM {from_sql} WHERE {match_sql} AND {where} "
                    f"ORDER BY d.date DESC{nulls} LIMIT %s) n"
                )
                sql = (
                    f"SELECT {cols}, {score_sql} AS score FROM {from_sql} WHERE {match_sql} "
                    f"AND d.id IN ({cand}) ORDER BY score DESC, d.date DESC{nulls}, d.id DESC "
                    f"LIMIT %s OFFSET %s"
                )
                params = (
                    mparams
                    + tparams
                    + wparams
                    + [cand_n]
                    + mparams
                    + wparams
                    + [cand_n]
                    + [c.limit, c.offset]
                )
            cur.execute(sql, params)
            hits = [RawHit(*row[:6], score=float(row[6] or 0)) for row in cur.fetchall()]
        return RawResult(hits=hits, total=total, facets=facets, backend=self.name)

    # -- suggestions ----------------------------------------------------------------
    def suggest(
        self, *, tokens: list[str], scope: Scope, types: list[str] | None, limit: int = 10
    ) -> list[RawHit]:
        if not tokens or scope.empty:
            return []
        c = Criteria(tokens=tokens, scope=scope, types=types)
        where, wparams = _filters(c, with_types=True)
        if self.vendor == "postgresql":
            lexemes = [_tsquery_literal(t) + ":A" for t in tokens[:-1]]
            lexemes.append(_tsquery_literal(tokens[-1]) + ":*A")
            sql = (
                f"SELECT d.doc_type, d.object_id, d.title, '', d.date, d.url, "
                f"ts_rank(d.search_vector, q.query) AS score "
                f"FROM {TABLE} d, (SELECT to_tsquery('simple', %s) AS query) q "
                f"WHERE d.search_vector @@ q.query AND {where} "
                f"ORDER BY score DESC, length(d.title), d.id DESC LIMIT %s"
            )
            params = [" & ".join(lexemes)] + wparams + [limit]
        else:
            sql = (
                f"SELECT d.doc_type, d.object_id, d.title, '', d.date, d.url, "
                f"-bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score "
                f"FROM search_fts JOIN {TABLE} d ON d.id = search_fts.rowid "
                f"WHERE search_fts MATCH %s AND {where} "
                f"ORDER BY score DESC, length(d.title), d.id DESC LIMIT %s"
            )
            params = [fts5_match(tokens, prefix_last=True, column="title_norm")] + wparams + [limit]
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return [RawHit(*row[:6], score=float(row[6] or 0)) for row in cur.fetchall()]
