"""A recording Elasticsearch client: every request's method, path, params and JSON body
are captured (that is what the snapshot tests compare); answers are canned."""

from __future__ import annotations

import json

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import Elasticsearch

NODE = NodeConfig("http", "es.test", 9200)


def _meta(status=200):
    return ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(
            {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
        ),
        duration=0.0,
        node=NODE,
    )


class FakeES(Elasticsearch):
    def __init__(
        self,
        *,
        plugins=("analysis-smartcn",),
        aliases=None,
        responses=None,
        down=False,
        _transport=None,
    ):
        if _transport is not None:  # Elasticsearch.options() makes a copy sharing the transport
            super().__init__(_transport=_transport)
            return
        super().__init__("http://es.test:9200")
        self.transport._fake = {
            "calls": [],
            "plugins": list(plugins),
            "aliases": dict(aliases or {}),  # alias -> [index]
            "responses": dict(responses or {}),  # (method, path) -> body
            "down": down,
        }

    @property
    def _fake(self):
        return self.transport._fake

    @property
    def calls(self):
        return self._fake["calls"]

    def requests(self, method=None, path_contains=None):
        return [
            c
            for c in self.calls
            if (method is None or c["method"] == method)
            and (path_contains is None or path_contains in c["path"])
        ]

    def perform_request(
        self,
        method,
        path,
        *,
        params=None,
        headers=None,
        body=None,
        endpoint_id=None,
        path_parts=None,
    ):
        from elastic_transport import HeadApiResponse, ObjectApiResponse

        fake = self._fake
        if fake["down"]:
            raise ESConnectionError("connection refused")
        if isinstance(body, (list, tuple)):  # bulk: lines already serialised by the helper
            body = [json.loads(b) if isinstance(b, (bytes, str)) else b for b in body]
        fake["calls"].append(
            {"method": method, "path": path, "params": dict(params or {}), "body": body}
        )
        if method == "HEAD":
            status = 200
            if path.startswith("/_alias/"):
                status = 200 if path.split("/")[-1] in fake["aliases"] else 404
            return HeadApiResponse(meta=_meta(status))
        key = (method, path)
        if key in fake["responses"]:
            return ObjectApiResponse(body=fake["responses"][key], meta=_meta())
        if path == "/_cat/plugins":
            rows = [{"name": "node-1", "component": p} for p in fake["plugins"]] or [
                {"name": "node-1", "component": "repository-s3"}
            ]
            return ObjectApiResponse(body=rows, meta=_meta())
        if path.startswith("/_alias/"):
            alias = path.split("/")[-1]
            return ObjectApiResponse(
                body={i: {"aliases": {alias: {}}} for i in fake["aliases"].get(alias, [])},
                meta=_meta(),
            )
        if path == "/_aliases":
            for action in body["actions"]:
                for op, spec in action.items():
                    if op == "add":
                        fake["aliases"].setdefault(spec["alias"], []).append(spec["index"])
                    elif op == "remove":
                        fake["aliases"][spec["alias"]].remove(spec["index"])
            return ObjectApiResponse(body={"acknowledged": True}, meta=_meta())
        if path == "/_bulk":
            items = []
            ops = body if isinstance(body, list) else []
            for op in ops:
                if isinstance(op, dict) and len(op) == 1 and next(iter(op)) in ("index", "delete"):
                    kind = next(iter(op))
                    items.append({kind: {"status": 200, "_id": op[kind].get("_id")}})
            return ObjectApiResponse(body={"errors": False, "items": items}, meta=_meta())
        if path.endswith("/_search"):
            return ObjectApiResponse(
                body={
                    "took": 1,
                    "timed_out": False,
                    "hits": {
                        "total": {"value": 0, "relation": "eq"},
                        "max_score": None,
                        "hits": [],
                    },
                    "aggregations": {"types": {"buckets": []}},
                    "suggest": {"titles": [{"text": "", "offset": 0, "length": 0, "options": []}]},
                },
                meta=_meta(),
            )
        return ObjectApiResponse(body={"acknowledged": True}, meta=_meta())
