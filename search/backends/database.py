"""Database full-text backend: PostgreSQL `tsvector('simple')` + GIN, or SQLite FTS5.

Over 400 lines: one backend whose two vendors' SQL stays side by side, sharing the filter
tokens, the scope SQL and the ranking rules; split by vendor it would repeat them.

Both search the normalised, segmented text in `SearchDocument.title_norm/body_norm`.
Queries are built only from normaliser tokens (letters and digits) and are passed as
parameters: `plainto_tsquery` on PostgreSQL, each token double-quoted for FTS5 — so no
user input can produce a query-syntax error. Every word must match. Titles weigh more:
weight A vs B with `ts_rank` on PostgreSQL, bm25 column weights 10:1 on SQLite. A query of
several words ranks first the documents that contain it whole (`phrase_tier`: in the title,
then in the body text) — whatever their length — then by that score; the phrase is found
in the stored text (`strpos`/`instr`), so the join query ranks those queries on SQLite too.

Filtering inside the full-text index. Every row also carries `filter_tokens` (see
`filter_tokens()`): its type, its audience path and every ancestor prefix of it, its year
and an "unpublished" marker. They are a third FTS5 column (SQLite) and a second tsvector in
the same GIN index (PostgreSQL), so the index itself applies the caller's scope, published
only and the type filter — a very common word no longer costs one table lookup per match:
- SQLite: the facet counts are FTS5-only `count(*)` per type present, in one statement
  (exact, not capped: ~2–3 ms a type for a word matching 20k of 150k documents — the cost
  grows with the number of types present, not with the matches read from the table);
  relevance takes the top of FTS5's own bm25 ordering and reads only those rows (ties at
  the page edge fall back to the exact join query); sort by date walks the years newest
  first (year tokens), so only the matches of the newest year(s) are looked up and
  sorted. Date-range filters use the join query, its FTS5 match narrowed by the scope and
  the year tokens of the range (`_fts5_narrowed`); scopes the tokens cannot express use
  the plain join query (exact, slower for very common words).
- PostgreSQL: `filter_vector @@ …` next to `search_vector @@ …` lets one bitmap scan of the
  multi-column GIN index (search_vector, filter_vector, title_vector) do the filtering;
  when a query matches more than RANK_CANDIDATES documents, relevance ranks (`ts_rank`)
  only a capped candidate set — the newest PG_RANK_CANDIDATES title matches (found with
  `title_vector`, no recheck of the long vector), plus the newest PG_RANK_CANDIDATES
  matches when there are fewer title matches than the page needs. So for a very common
  word an old body-only match may rank below where full ranking would put it (capped
  ranking, by design); facet counts stay exact.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection

from search.backends import Criteria, RawHit, RawResult, Scope

TABLE = "search_searchdocument"
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
BM25 = f"bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}, 0.0)"
WORD_COLUMNS = "{title_norm body_norm}"
FILTER_COLUMN = "{filter_tokens}"
# When more documents match than this, relevance ranking scores only the title matches
# and the newest matches (this many of each), so a very common word still answers fast
# (PostgreSQL, and the SQLite join fallback).
RANK_CANDIDATES = 1000
# PostgreSQL: candidates of each kind ranked for a very common word (ts_rank reads the
# whole vector of each candidate).
PG_RANK_CANDIDATES = 300
# A hit's score adds this per phrase tier (phrase_tier), so scores keep the hit order.
PHRASE_TIER_SCORE = 1000.0
# SQLite: rows fetched beyond the requested page from FTS5's bm25 order, to settle ties.
RANK_SLACK = 50
# SQLite, sort by date: up to this many matches are sorted in one join; more → year walk.
DATE_DIRECT = 2000

# Audience paths are treebeard materialised paths (alphabet 0-9A-Z, 4 characters a level).
PATH_STEPLEN = 4
_PATH_RE = re.compile(r"[0-9A-Z]*\Z")
UNPUBLISHED = "unpub"
FILTER_SLOTS = 12  # filter tokens per row (padded), enough for 9 levels of units
FILTER_PAD = "f0"


def _path_code(path: str) -> str | None:
    return path.lower() if _PATH_RE.match(path) else None


def _exact_path_token(path: str) -> str:
    code = _path_code(path)
    return "a" + code if code is not None else "n" + path.encode().hex()


def type_token(doc_type: str) -> str:
    return "t" + doc_type.encode().hex()


def year_token(date: dt.datetime | None) -> str:
    if date is None:
        return "ynone"
    if isinstance(date, dt.datetime) and date.tzinfo is not None:
        date = date.astimezone(dt.UTC)
    return f"y{date.year:04d}"


def filter_tokens(
    *, doc_type: str, audience_path: str, is_published: bool, date: dt.datetime | None
) -> str:
    """The index-side filter words of a row: type, exact audience path, every ancestor
    prefix of it (for subtree scopes), year, and `unpub` when not published. Letters and
    digits only, so FTS5 and PostgreSQL's 'simple' parser keep each as one token."""
    tokens = [type_token(doc_type), _exact_path_token(audience_path or "")]
    code = _path_code(audience_path or "")
    if code:
        tokens += ["p" + code[:i] for i in range(PATH_STEPLEN, len(code) + 1, PATH_STEPLEN)]
    if not is_published:
        tokens.append(UNPUBLISHED)
    tokens.append(year_token(date))
    # FTS5's bm25 normalises by the length of all columns: pad to a fixed count so the
    # depth of the audience path does not change a document's score.
    tokens += [FILTER_PAD] * (FILTER_SLOTS - len(tokens))
    return " ".join(tokens)


def scope_tokens(scope: Scope) -> list[str] | None:
    """Filter tokens any of which makes a row visible; [] = everything; None = the scope
    cannot be expressed with tokens (a prefix that is not a whole path)."""
    if scope.everything:
        return []
    tokens = [_exact_path_token(p) for p in scope.paths]
    for prefix in scope.prefixes:
        code = _path_code(prefix)
        if not code or len(code) % PATH_STEPLEN:
            return None
        tokens.append("p" + code)
    return tokens


def _fts5_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_match(
    tokens: list[str], *, op: str = "AND", prefix_last: bool = False, column: str | None = None
) -> str:
    parts = [_fts5_phrase(t) for t in tokens]
    if prefix_last and parts:
        parts[-1] += "*"
    expr = f" {op} ".join(parts)
    column = column or WORD_COLUMNS[1:-1]
    return "{" + column + "} : (" + expr + ")"


def _fts5_filter(c: Criteria, *, with_types: bool) -> str | None:
    """The FTS5 filter clause (to AND with the words) for scope/published/types; None when
    it cannot be expressed."""
    scope = scope_tokens(c.scope)
    if scope is None:
        return None
    parts = []
    if scope:
        parts.append(f"{FILTER_COLUMN} : ({' OR '.join(_fts5_phrase(t) for t in scope)})")
    if with_types and c.types:
        alts = " OR ".join(_fts5_phrase(type_token(t)) for t in c.types)
        parts.append(f"{FILTER_COLUMN} : ({alts})")
    return " AND ".join(parts)


def _fts5_query(words: str, filt: str, *extra: str) -> str:
    expr = " AND ".join(["(" + words + ")", *[p for p in (filt, *extra) if p]])
    return f"({expr}) NOT {FILTER_COLUMN} : {_fts5_phrase(UNPUBLISHED)}"


def _tsquery_literal(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _pg_filter_tsquery(c: Criteria, *, with_types: bool) -> str | None:
    scope = scope_tokens(c.scope)
    if scope is None:
        return None
    parts = []
    if scope:
        parts.append("(" + " | ".join(_tsquery_literal(t) for t in scope) + ")")
    if with_types and c.types:
        parts.append("(" + " | ".join(_tsquery_literal(type_token(t)) for t in c.types) + ")")
    parts.append("!" + _tsquery_literal(UNPUBLISHED))
    return " & ".join(parts)


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


def _filters(c: Criteria, *, with_types: bool, vendor: str = "") -> tuple[str, list]:
    """WHERE clause (on `d`) for published, scope, types and dates. On PostgreSQL the
    first three are one `filter_vector @@ tsquery` condition the GIN index answers."""
    where, params = [], []
    tsq = _pg_filter_tsquery(c, with_types=with_types) if vendor == "postgresql" else None
    if tsq is not None:
        where.append("d.filter_vector @@ to_tsquery('simple', %s)")
        params.append(tsq)
    else:
        where.append("d.is_published")
        sql, p = scope_sql(c.scope)
        where.append(sql)
        params += p
        if with_types and c.types:
            where.append(f"d.doc_type IN ({', '.join(['%s'] * len(c.types))})")
            params += list(c.types)
    # as Django stores them (SQLite: UTC text — a raw +08:00 datetime compared as text)
    adapt = connection.ops.adapt_datetimefield_value
    if c.date_from is not None:
        where.append("d.date >= %s")
        params.append(adapt(c.date_from))
    if c.date_to is not None:
        where.append("d.date < %s")
        params.append(adapt(c.date_to))
    return " AND ".join(where), params


def phrase_tier(c: Criteria, vendor: str) -> tuple[str, list]:
    """SQL (on `d`) ranking documents that contain the whole query: 2 in the title, 1 in
    the body text (its first SNIPPET_MAX_CHARS characters, as stored), 0 otherwise. Spaces
    are ignored on both sides (BIM技术 finds "BIM 技术"); the phrases are parameters and
    `lower()` folds Latin letters as the query was folded."""
    phrases = list(dict.fromkeys(p.replace(" ", "") for p in c.phrases if p.strip()))
    if not phrases:
        return "0", []
    find = "strpos({}, %s) > 0" if vendor == "postgresql" else "instr({}, %s) > 0"
    title = " OR ".join(find.format("replace(lower(d.title), ' ', '')") for _ in phrases)
    body = " OR ".join(find.format("replace(lower(d.snippet_text), ' ', '')") for _ in phrases)
    return f"(CASE WHEN {title} THEN 2 WHEN {body} THEN 1 ELSE 0 END)", phrases * 2


def _date_key(date):
    """Sort key for `reverse=True`: newest first, no date last (ORDER BY date DESC)."""
    return (0,) if date is None else (1, date)


HIT_COLS = "d.doc_type, d.object_id, d.title, d.snippet_text, d.date, d.url"


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
        expr = self._fts5_narrowed(c, fts5_match(c.tokens, op=op))
        return (from_sql, "search_fts MATCH %s", f"-{BM25}", [expr])

    def _title_match(self, c: Criteria) -> tuple[str, list]:
        """SQL condition (on `d`) for 'every word is in the title'."""
        if self.vendor == "postgresql":
            joiner = " | " if c.match == "or" else " & "
            tsq = joiner.join(_tsquery_literal(t) for t in c.tokens)
            return "d.title_vector @@ to_tsquery('simple', %s)", [tsq]
        op = "OR" if c.match == "or" else "AND"
        return (
            "d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)",
            [self._fts5_narrowed(c, fts5_match(c.tokens, op=op, column="title_norm"))],
        )

    def _fts5_narrowed(self, c: Criteria, words: str) -> str:
        """SQLite join query with a date range: the FTS5 match also carries the scope and
        the year tokens the range spans, so the index hands over only rows of those years
        in the caller's scope; the exact conditions (`_filters`) still decide. Without
        this a very common word made the join read every match from the table."""
        if c.date_from is None and c.date_to is None:
            return words
        filt = _fts5_filter(c, with_types=False) or ""
        lo = c.date_from if c.date_from is not None else _table_date("MIN")
        hi = c.date_to - dt.timedelta(microseconds=1) if c.date_to else _table_date("MAX")
        if lo is None or hi is None:
            return _fts5_query(words, filt)
        first, last = _year_of(lo), _year_of(hi)
        if last < first:
            last = first  # an empty range: the exact conditions find nothing
        years = " OR ".join(_fts5_phrase(f"y{y:04d}") for y in range(first, last + 1))
        return _fts5_query(words, filt, f"{FILTER_COLUMN} : ({years})")

    def search(self, c: Criteria) -> RawResult:
        if not c.tokens or c.scope.empty:
            return RawResult(hits=[], total=0, facets={}, backend=self.name)
        if self.vendor == "sqlite" and c.date_from is None and c.date_to is None:
            filt = _fts5_filter(c, with_types=False)
            if filt is not None:
                return self._search_fts5(c, filt)
        return self._search_join(c)

    # SQLite: the FTS5 index filters, counts and ranks ------------------------------
    def _search_fts5(self, c: Criteria, filt: str) -> RawResult:
        op = "OR" if c.match == "or" else "AND"
        words = fts5_match(c.tokens, op=op)
        with connection.cursor() as cur:
            # one statement: an FTS5 count per type present (the type token is the hex of
            # the type name, as type_token() writes it)
            head, tail = _fts5_query(words, filt, "\x00").split("\x00")
            cur.execute(
                f"SELECT doc_type, (SELECT count(*) FROM search_fts WHERE search_fts MATCH "
                f"(%s || '\"t' || lower(hex(doc_type)) || '\"' || %s)) "
                f"FROM (SELECT DISTINCT doc_type FROM {TABLE})",
                [head + FILTER_COLUMN + " : ", tail],
            )
            facets = {t: n for t, n in sorted(cur.fetchall()) if n}
            total = sum(n for t, n in facets.items() if not c.types or t in c.types)
            if not total or c.offset >= total:
                return RawResult(hits=[], total=total, facets=facets, backend=self.name)
            if c.phrases and c.sort != "date":
                # the phrase tier reads the text: the join query ranks (a several-word
                # query has few matches next to one very common word)
                return self._search_join(c, facets=facets)
            tfilt = _fts5_filter(c, with_types=True)
            expr = _fts5_query(words, tfilt)
            if c.sort == "date":
                hits = self._fts5_by_date(cur, c, expr, total)
            else:
                hits = self._fts5_by_relevance(cur, c, expr)
                if hits is None:  # ties across the page edge: the exact join query
                    return self._search_join(c, facets=facets)
        return RawResult(hits=hits, total=total, facets=facets, backend=self.name)

    def _fts5_top(self, cur, expr: str, need: int, cols: str = "") -> list[tuple] | None:
        """(id, score, *cols) of the best `need` + RANK_SLACK matches by bm25 (FTS5 ranks,
        only those rows are read from the table), or None when the scores tie across that
        window (the caller then uses the exact join query)."""
        cur.execute(
            f"SELECT d.id, -f.s{cols} FROM (SELECT rowid, {BM25} AS s FROM search_fts "
            f"WHERE search_fts MATCH %s ORDER BY s LIMIT %s) f "
            f"JOIN {TABLE} d ON d.id = f.rowid ORDER BY f.s",
            [expr, need + RANK_SLACK],
        )
        ranked = cur.fetchall()
        if len(ranked) == need + RANK_SLACK and ranked[need - 1][1] == ranked[-1][1]:
            return None
        return ranked

    def _fts5_by_relevance(self, cur, c: Criteria, expr: str) -> list[RawHit] | None:
        need = c.offset + c.limit
        ranked = self._fts5_top(cur, expr, need, ", " + HIT_COLS)
        if ranked is None:
            return None
        pairs = [(row[0], RawHit(*row[2:], score=row[1])) for row in ranked]
        # ORDER BY score DESC, date DESC (no date last), id DESC — stable sorts, last key first
        pairs.sort(key=lambda p: p[0], reverse=True)
        pairs.sort(key=lambda p: _date_key(p[1].date), reverse=True)
        pairs.sort(key=lambda p: p[1].score, reverse=True)
        return [h for _, h in pairs[c.offset : need]]

    def _fts5_by_date(self, cur, c: Criteria, expr: str, total: int) -> list[RawHit]:
        need = c.offset + c.limit
        order = "ORDER BY d.date DESC, d.id DESC"
        join = f"SELECT {HIT_COLS}, 0 FROM search_fts JOIN {TABLE} d ON d.id = search_fts.rowid"
        if total <= DATE_DIRECT:
            cur.execute(
                f"{join} WHERE search_fts MATCH %s {order} LIMIT %s OFFSET %s",
                [expr, c.limit, c.offset],
            )
            return [RawHit(*row[:6], score=0.0) for row in cur.fetchall()]
        # two statements: SQLite answers a lone MIN() or MAX() from the date index
        cur.execute(f"SELECT MIN(date) FROM {TABLE}")
        lo = cur.fetchone()[0]
        cur.execute(f"SELECT MAX(date) FROM {TABLE}")
        hi = cur.fetchone()[0]
        years = [] if hi is None else list(range(_year_of(hi), _year_of(lo) - 1, -1))
        found: list[RawHit] = []
        for token in [f"y{y:04d}" for y in years] + ["ynone"]:
            year_expr = _fts5_query(expr, "", f"{FILTER_COLUMN} : {_fts5_phrase(token)}")
            cur.execute(
                f"{join} WHERE search_fts MATCH %s {order} LIMIT %s",
                [year_expr, need - len(found)],
            )
            found += [RawHit(*row[:6], score=0.0) for row in cur.fetchall()]
            if len(found) >= need:
                break
        return found[c.offset : need]

    # The exact join query (PostgreSQL; SQLite with date ranges or unusual scopes) ------
    def _search_join(self, c: Criteria, facets: dict | None = None) -> RawResult:
        vendor = self.vendor
        from_sql, match_sql, score_sql, mparams = self._match(c)
        where, wparams = _filters(c, with_types=True, vendor=vendor)
        nulls = " NULLS LAST" if vendor == "postgresql" else ""
        with connection.cursor() as cur:
            if facets is None:
                fwhere, fparams = _filters(c, with_types=False, vendor=vendor)
                cur.execute(
                    f"SELECT d.doc_type, COUNT(*) FROM {from_sql} WHERE {match_sql} "
                    f"AND {fwhere} GROUP BY d.doc_type",
                    mparams + fparams,
                )
                facets = {row[0]: row[1] for row in cur.fetchall()}
            total = sum(n for t, n in facets.items() if not c.types or t in c.types)
            if not total or c.offset >= total:
                return RawResult(hits=[], total=total, facets=facets, backend=self.name)
            tier_sql, tier_params = phrase_tier(c, vendor)
            cols = f"{HIT_COLS}, {tier_sql} AS tier"
            order = f"tier DESC, score DESC, d.date DESC{nulls}, d.id DESC"
            if c.sort == "date":
                sql = (
                    f"SELECT {HIT_COLS}, 0, 0 AS score FROM {from_sql} WHERE {match_sql} "
                    f"AND {where} ORDER BY d.date DESC{nulls}, d.id DESC LIMIT %s OFFSET %s"
                )
                params = mparams + wparams + [c.limit, c.offset]
            elif total <= RANK_CANDIDATES:
                sql = (
                    f"SELECT {cols}, {score_sql} AS score FROM {from_sql} WHERE {match_sql} "
                    f"AND {where} ORDER BY {order} LIMIT %s OFFSET %s"
                )
                params = tier_params + mparams + wparams + [c.limit, c.offset]
            else:
                # Very common words: rank only the candidates that can reach the first
                # pages — the newest documents with the words in their title, plus the
                # newest matches when there are too few of those — instead of scoring
                # every match.
                title_sql, tparams = self._title_match(c)
                cap = PG_RANK_CANDIDATES if vendor == "postgresql" else RANK_CANDIDATES
                need = c.offset + c.limit
                cand_n = max(cap, need)  # deep pages stay complete
                cur.execute(
                    f"SELECT d.id FROM {TABLE} d WHERE {title_sql} AND {where} "
                    f"ORDER BY d.date DESC{nulls} LIMIT %s",
                    tparams + wparams + [cand_n],
                )
                cand = [row[0] for row in cur.fetchall()]
                if c.phrases:  # the newest documents with the whole phrase, first
                    cur.execute(
                        f"SELECT d.id FROM {from_sql} WHERE {match_sql} AND {where} "
                        f"AND {tier_sql} > 0 ORDER BY d.date DESC{nulls} LIMIT %s",
                        mparams + wparams + tier_params + [cand_n],
                    )
                    cand = list(dict.fromkeys([row[0] for row in cur.fetchall()] + cand))
                if len(cand) < need:
                    cur.execute(
                        f"SELECT d.id FROM {from_sql} WHERE {match_sql} AND {where} "
                        f"ORDER BY d.date DESC{nulls} LIMIT %s",
                        mparams + wparams + [cand_n],
                    )
                    cand = list(dict.fromkeys(cand + [row[0] for row in cur.fetchall()]))
                marks = ", ".join(["%s"] * len(cand))
                sql = (
                    f"SELECT {cols}, {score_sql} AS score FROM {from_sql} WHERE {match_sql} "
                    f"AND d.id IN ({marks}) ORDER BY {order} LIMIT %s OFFSET %s"
                )
                params = tier_params + mparams + cand + [c.limit, c.offset]
            cur.execute(sql, params)
            hits = [
                RawHit(*row[:6], score=float(row[6]) * PHRASE_TIER_SCORE + float(row[7] or 0))
                for row in cur.fetchall()
            ]
        return RawResult(hits=hits, total=total, facets=facets, backend=self.name)

    # -- suggestions ----------------------------------------------------------------
    def suggest(
        self, *, tokens: list[str], scope: Scope, types: list[str] | None, limit: int = 10
    ) -> list[RawHit]:
        if not tokens or scope.empty:
            return []
        c = Criteria(tokens=tokens, scope=scope, types=types)
        if self.vendor == "postgresql":
            where, wparams = _filters(c, with_types=True, vendor="postgresql")
            lexemes = [_tsquery_literal(t) for t in tokens[:-1]]
            lexemes.append(_tsquery_literal(tokens[-1]) + ":*")
            sql = (
                f"SELECT d.doc_type, d.object_id, d.title, '', d.date, d.url, "
                f"ts_rank(d.title_vector, q.query) AS score "
                f"FROM {TABLE} d, (SELECT to_tsquery('simple', %s) AS query) q "
                f"WHERE d.title_vector @@ q.query AND {where} "
                f"ORDER BY score DESC, length(d.title), d.id DESC LIMIT %s"
            )
            params = [" & ".join(lexemes)] + wparams + [limit]
            with connection.cursor() as cur:
                cur.execute(sql, params)
                return [RawHit(*row[:6], score=float(row[6] or 0)) for row in cur.fetchall()]
        words = fts5_match(tokens, prefix_last=True, column="title_norm")
        filt = _fts5_filter(c, with_types=True)
        with connection.cursor() as cur:
            ranked = None
            if filt is not None:
                ranked = self._fts5_top(
                    cur,
                    _fts5_query(words, filt),
                    limit,
                    ", d.doc_type, d.object_id, d.title, '', d.date, d.url",
                )
            if ranked is not None:
                pairs = [(row[0], RawHit(*row[2:], score=row[1])) for row in ranked]
                # ORDER BY score DESC, length(title), id DESC
                pairs.sort(key=lambda p: p[0], reverse=True)
                pairs.sort(key=lambda p: len(p[1].title))
                pairs.sort(key=lambda p: p[1].score, reverse=True)
                return [h for _, h in pairs[:limit]]
            where, wparams = _filters(c, with_types=True)
            cur.execute(
                f"SELECT d.doc_type, d.object_id, d.title, '', d.date, d.url, "
                f"-{BM25} AS score "
                f"FROM search_fts JOIN {TABLE} d ON d.id = search_fts.rowid "
                f"WHERE search_fts MATCH %s AND {where} "
                f"ORDER BY score DESC, length(d.title), d.id DESC LIMIT %s",
                [words] + wparams + [limit],
            )
            return [RawHit(*row[:6], score=float(row[6] or 0)) for row in cur.fetchall()]


def _table_date(agg: str):
    """MIN or MAX of the documents' dates (a lone MIN/MAX: answered by the date index)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT {agg}(date) FROM {TABLE}")
        return cur.fetchone()[0]


def _year_of(value) -> int:
    """The UTC year of a stored or given date (year tokens are UTC years)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).year
    if isinstance(value, dt.datetime | dt.date):
        return value.year
    return int(str(value)[:4])
